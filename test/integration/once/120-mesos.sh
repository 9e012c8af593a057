#!/bin/bash
# linux.mesos.master and linux.mesos.slave (modules.md §13). Mesos is not
# installed here, and the 2015 repositories are gone: first the refusal
# (nothing installed, nothing written). Then an "existing installation"
# made of recording shims (mesos-master, mesos-slave, marathon, docker,
# haproxy-marathon-bridge in a tmpfs /usr/local/bin) and dummy SysV init
# scripts that log their actions: the files of §13 with their exact
# contents, /etc/hosts entries, the host name (sethostname in the sandbox's
# own UTS namespace), services started, a second round that changes and
# restarts nothing, a dry run after a change that writes nothing, and a
# changed parameter that restarts only the services whose files changed.
# Root only, in a sandbox (/etc is a copy, /var/lib/zookeeper a tmpfs).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-cm.sh"
in_sandbox "$@"
sandbox_tmpfs /var/lib/zookeeper
rm -rf /etc/mesos /etc/mesos-master /etc/mesos-slave /etc/marathon /etc/zookeeper \
    /etc/haproxy-marathon-bridge

# ms MODULE PARAMS [dry]: one state with watch sums under $T/watch.
ms() {
    printf '{"id":"mesos","module":"%s","parameter":%s,"dry_run":%s,"watch_dir":"%s","state_dir":"%s"}' \
        "$1" "$2" "$([ "${3:-}" = dry ] && echo true || echo false)" "$T/watch" "$T/state" >"$T/req"
    exec_request "$T/req"
}
MASTER='{"cluster_name": "prod", "server_id": "2", "master_ip": "10.0.0.2", "hostname": "master2",
 "masters_addresses": [{"key": "10.0.0.1", "value": "master1"}, {"key": "10.0.0.2", "value": "master2"}, {"key": "10.0.0.3"}],
 "framework": ["marathon"]}'
SLAVE='{"slave_ip": "10.0.1.7", "masters_addresses": [{"key": "10.0.0.1", "value": "master1"}, {"key": "10.0.0.2"}],
 "attributes": [{"key": "rack", "value": "r5"}, {"key": "public", "value": "true"}]}'

# Not installed: refused, nothing written.
ms linux.mesos.master "$MASTER"
expect_rc 1
expect_state false false "mesos is not installed (mesos-master not found): this module configures an existing installation and installs nothing"
ms linux.mesos.slave "$SLAVE"
expect_state false false "mesos is not installed (mesos-slave not found): this module configures an existing installation and installs nothing"
[ ! -e /etc/mesos ] || fail "a refused state wrote /etc/mesos"
shim mesos-master mesos-slave
ms linux.mesos.master "$MASTER"
expect_state false false "zookeeper is not installed (/etc/zookeeper/conf not found): this module configures an existing installation and installs nothing"
mkdir -p /etc/zookeeper/conf
ms linux.mesos.master "$MASTER"
expect_state false false "marathon is not installed (marathon not found): this module configures an existing installation and installs nothing"

# The installation: programs, and init scripts that log to $T/calls.
shim marathon docker haproxy-marathon-bridge
mkdir -p "$T/svc"
for s in zookeeper mesos-master marathon mesos-slave haproxy; do
    cat >"/etc/init.d/$s" <<EOF
#!/bin/sh
echo "service $s \$1" >>'$T/calls'
case "\$1" in
start|restart) touch '$T/svc/$s' ;;
stop) rm -f '$T/svc/$s' ;;
status) [ -e '$T/svc/$s' ] || exit 3 ;;
esac
EOF
    chmod 0755 "/etc/init.d/$s"
done
printf '127.0.0.1\tlocalhost\n10.9.9.9\tmaster1 other\n' >/etc/hosts

ms linux.mesos.master "$MASTER"
expect_rc 0
expect_state true true "mesos master: added the masters to /etc/hosts; wrote /var/lib/zookeeper/myid, /etc/zookeeper/conf/zoo.cfg, /etc/mesos/zk, /etc/mesos-master/quorum, /etc/mesos-master/ip, /etc/mesos-master/hostname, /etc/mesos-master/cluster, /etc/marathon/conf/hostname, /etc/marathon/conf/master, /etc/marathon/conf/zk, /etc/hostname; host name set to master2; zookeeper started; mesos-master started; marathon started"
is() { [ "$(cat "$1")" = "$2" ] || fail "$1: '$(cat "$1")', expected '$2'"; }
is /var/lib/zookeeper/myid 2
is /etc/zookeeper/conf/zoo.cfg "tickTime=2000
initLimit=10
syncLimit=5
dataDir=/var/lib/zookeeper
clientPort=2181
server.1=10.0.0.1:2888:3888
server.2=10.0.0.2:2888:3888
server.3=10.0.0.3:2888:3888"
is /etc/mesos/zk "zk://10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181/mesos"
is /etc/mesos-master/quorum 2
is /etc/mesos-master/ip 10.0.0.2
is /etc/mesos-master/hostname 10.0.0.2
is /etc/mesos-master/cluster prod
is /etc/marathon/conf/hostname 10.0.0.2
is /etc/marathon/conf/master "zk://master1:2181,master2:2181,10.0.0.3:2181/mesos"
is /etc/marathon/conf/zk "zk://master1:2181,master2:2181,10.0.0.3:2181/marathon"
is /etc/hostname master2
[ "$(hostname)" = master2 ] || fail "host name: $(hostname)"
is /etc/hosts "$(printf '127.0.0.1\tlocalhost\n10.9.9.9\tother\n10.0.0.1\tmaster1\n10.0.0.2\tmaster2')"
[ ! -e /etc/init/mesos-slave.override ] || fail "an upstart override on a SysV host"
expect_calls "service zookeeper status
service zookeeper start
service zookeeper status
service mesos-master status
service mesos-master start
service mesos-master status
service marathon status
service marathon start
service marathon status"

# Second round: nothing to write, nothing to restart.
ms linux.mesos.master "$MASTER"
expect_state true false "mesos master: zookeeper already running; mesos-master already running; marathon already running"
expect_calls "service zookeeper status
service mesos-master status
service marathon status"

# A new cluster name: the dry run says so and writes nothing...
NEW=${MASTER/\"prod\"/\"staging\"}
ms linux.mesos.master "$NEW" dry
expect_state true true "mesos master: would write /etc/mesos-master/cluster; zookeeper already running; would restart mesos-master; marathon already running"
is /etc/mesos-master/cluster prod
: >"$T/calls"
# ... the run rewrites it and restarts mesos-master only.
ms linux.mesos.master "$NEW"
expect_state true true "mesos master: wrote /etc/mesos-master/cluster; zookeeper already running; mesos-master restarted; marathon already running"
is /etc/mesos-master/cluster staging
expect_calls "service zookeeper status
service mesos-master status
service mesos-master restart
service mesos-master status
service marathon status"

# The slave: its files, the bridge's cron job once, haproxy and mesos-slave.
ms linux.mesos.slave "$SLAVE"
expect_rc 0
expect_state true true "mesos slave: wrote /etc/haproxy-marathon-bridge/marathons, /etc/mesos/zk, /etc/mesos-slave/ip, /etc/mesos-slave/hostname, /etc/mesos-slave/containerizers, /etc/mesos-slave/executor_registration_timeout, /etc/mesos-slave/attributes; installed the haproxy-marathon-bridge cron job; haproxy started; mesos-slave started"
is /etc/mesos/zk "zk://10.0.0.1:2181,10.0.0.2:2181/mesos"
is /etc/mesos-slave/ip 10.0.1.7
is /etc/mesos-slave/hostname 10.0.1.7
is /etc/mesos-slave/containerizers docker,mesos
is /etc/mesos-slave/executor_registration_timeout 5mins
is /etc/mesos-slave/attributes "rack:r5;public:true"
is /etc/haproxy-marathon-bridge/marathons "master1:8080
10.0.0.2:8080"
[ -e /etc/haproxy-marathon-bridge/setup ] || fail "no bridge marker"
expect_calls "haproxy-marathon-bridge install_cronjob
service haproxy status
service haproxy start
service haproxy status
service mesos-slave status
service mesos-slave start
service mesos-slave status"
ms linux.mesos.slave "$SLAVE"
expect_state true false "mesos slave: haproxy already running; mesos-slave already running"
# An az in the file (the EC2 metadata service's, in the original) is kept
# when the metadata service is out of reach (it always is here); the edit
# itself restarts mesos-slave once.
printf 'rack:r5;public:true;az:eu-west-1b\n' >/etc/mesos-slave/attributes
ms linux.mesos.slave "$SLAVE"
expect_state true true "mesos slave: haproxy already running; mesos-slave restarted"
is /etc/mesos-slave/attributes "rack:r5;public:true;az:eu-west-1b"

# Bad parameters.
ms linux.mesos.master "${MASTER/\"2\"/\"0\"}"
expect_state false false "parameter 'server_id': '0' is not a number from 1 to 255 (ZooKeeper's myid)"
ms linux.mesos.master "${MASTER/marathon/chronos}"
expect_state false false "parameter 'framework': unknown framework 'chronos' (only marathon is known)"
ms linux.mesos.slave "${SLAVE/r5/r;5}"
expect_state false false "parameter 'attributes': 'rack' → 'r;5' cannot stand in a mesos attributes line"
ms linux.mesos.slave "${SLAVE/10.0.1.7/10.0.1.7 x}"
expect_state false false "parameter 'slave_ip': '10.0.1.7 x' is not a host name or address"
