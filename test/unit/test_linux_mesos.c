/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pure parts of linux.mesos.master and .slave: ZooKeeper URLs by
 * address or host name, zoo.cfg, the quorum (a majority), the attributes
 * line with and without a zone, the zone read back from a file, the
 * tokens allowed in configuration files, and /etc/hosts edited to name a
 * master (unchanged when it already does; the name moved off another
 * address; comments and other lines kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "linux_mesos.h"

static struct oa_kv masters[] = {
    {(char *)"10.0.0.1", (char *)"master1"},
    {(char *)"10.0.0.2", (char *)""},
    {(char *)"10.0.0.3", (char *)"master3"},
};

static void zookeeper_files(void **unused)
{
    struct oa_buf b;

    oa_buf_init(&b, 4096);
    assert_int_equal(oa_mesos_zk_url(masters, 3, false, "mesos", &b), 0);
    assert_string_equal(b.data, "zk://10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181/mesos\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mesos_zk_url(masters, 3, true, "marathon", &b), 0);
    assert_string_equal(b.data, "zk://master1:2181,10.0.0.2:2181,master3:2181/marathon\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mesos_zoo_cfg(masters, 2, &b), 0);
    assert_string_equal(b.data, "tickTime=2000\ninitLimit=10\nsyncLimit=5\n"
                                "dataDir=/var/lib/zookeeper\nclientPort=2181\n"
                                "server.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\n");
    oa_buf_done(&b);
    assert_int_equal(oa_mesos_quorum(1), 1);
    assert_int_equal(oa_mesos_quorum(2), 2);
    assert_int_equal(oa_mesos_quorum(3), 2);
    assert_int_equal(oa_mesos_quorum(4), 3);
    assert_int_equal(oa_mesos_quorum(5), 3);
}

static void attributes_and_tokens(void **unused)
{
    struct oa_kv attrs[] = {{(char *)"rack", (char *)"r5"}, {(char *)"public", (char *)""}};
    struct oa_buf b;
    char zone[32];

    oa_buf_init(&b, 4096);
    assert_int_equal(oa_mesos_attributes(attrs, 2, NULL, &b), 0);
    assert_string_equal(b.data, "rack:r5;public:\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mesos_attributes(attrs, 1, "us-east-1a", &b), 0);
    assert_string_equal(b.data, "rack:r5;az:us-east-1a\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mesos_attributes(attrs, 0, "us-east-1a", &b), 0);
    assert_string_equal(b.data, "az:us-east-1a\n");
    oa_buf_done(&b);
    assert_string_equal(oa_mesos_zone_of("rack:r5;az:eu-west-1b\n", zone, sizeof(zone)),
                        "eu-west-1b");
    assert_string_equal(oa_mesos_zone_of("rack:r5\n", zone, sizeof(zone)), "");
    assert_true(oa_mesos_token_ok("10.0.0.1"));
    assert_true(oa_mesos_token_ok("fe80::1"));
    assert_true(oa_mesos_token_ok("master-1.example.org"));
    assert_false(oa_mesos_token_ok(""));
    assert_false(oa_mesos_token_ok("a b"));
    assert_false(oa_mesos_token_ok("a\nserver.9=evil"));
    assert_false(oa_mesos_token_ok(NULL));
}

static void hosts_file(void **unused)
{
    const char *cur = "# static\n127.0.0.1\tlocalhost\n10.9.9.9 master1 other\n10.8.8.8 master1\n";
    struct oa_buf b;

    oa_buf_init(&b, 4096);
    assert_int_equal(oa_mesos_hosts_with(cur, "10.0.0.1", "master1", &b), 1);
    assert_string_equal(b.data, "# static\n127.0.0.1\tlocalhost\n10.9.9.9\tother\n"
                                "10.0.0.1\tmaster1\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mesos_hosts_with("10.0.0.1 m1 master1\n", "10.0.0.1", "master1", &b), 0);
    assert_string_equal(b.data, "10.0.0.1 m1 master1\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mesos_hosts_with("# 10.0.0.1 master1\n", "10.0.0.1", "master1", &b), 1);
    assert_string_equal(b.data, "# 10.0.0.1 master1\n10.0.0.1\tmaster1\n");
    oa_buf_reset(&b);
    assert_int_equal(oa_mesos_hosts_with(NULL, "10.0.0.1", "master1", &b), 1);
    assert_string_equal(b.data, "10.0.0.1\tmaster1\n");
    oa_buf_done(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zookeeper_files),
        cmocka_unit_test(attributes_and_tokens),
        cmocka_unit_test(hosts_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
