/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recipe files for `once`: the four shapes, every fixture recipe of the
 * original authors, and the errors that name the state and the field.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "recipe.h"

static int parse(const char *json, struct oa_recipe *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    return oa_recipe_parse(json, strlen(json), r, err, errlen);
}

static void a_bare_array_gets_ids_from_positions(void **unused)
{
    struct oa_recipe r;
    char err[256];

    assert_int_equal(parse("[{\"module\":\"linux.cmd\",\"parameter\":{\"cmd\":\"true\"}},"
                           "{\"id\":\"named\",\"module\":\"meta.comment\",\"parameter\":{}},"
                           "{\"module\":\"meta.comment\",\"parameter\":{}}]",
                           &r, err, sizeof(err)),
                     0);
    assert_int_equal(r.n_states, 3);
    assert_string_equal(r.states[0].id, "state-1");
    assert_string_equal(r.states[1].id, "named");
    assert_string_equal(r.states[2].id, "state-3");
    assert_string_equal(r.states[0].module, "linux.cmd");
    /* Parameters are kept as their text until the state runs. */
    assert_int_equal(r.states[0].parameter->type, OA_JSON_RAW);
    assert_string_equal(r.states[0].parameter->u.str, "{\"cmd\":\"true\"}");
    assert_int_equal(r.version, 0);
    assert_null(r.mod_repo);
    oa_msg_recipe_done(&r);
}

static void an_object_with_state(void **unused)
{
    struct oa_recipe r;
    char err[256];

    assert_int_equal(parse("{\"state\":[{\"id\":\"a\",\"module\":\"m\",\"parameter\":{}}]}", &r,
                           err, sizeof(err)),
                     0);
    assert_int_equal(r.n_states, 1);
    assert_true(r.has_states);
    oa_msg_recipe_done(&r);
}

static void a_recipe_metadata_message(void **unused)
{
    struct oa_recipe r;
    char err[256];

    assert_int_equal(parse("{\"code\":\"RecipeMetadata\",\"recipe_version\":12,"
                           "\"module\":{\"repo\":\"https://example/m.git\",\"tag\":\"v1\"},"
                           "\"state\":[{\"id\":\"a\",\"module\":\"m\",\"parameter\":{}}]}",
                           &r, err, sizeof(err)),
                     0);
    assert_int_equal(r.version, 12);
    assert_string_equal(r.mod_repo, "https://example/m.git");
    assert_string_equal(r.mod_tag, "v1");
    oa_msg_recipe_done(&r);
}

static void components_run_in_file_order(void **unused)
{
    struct oa_recipe r;
    char err[256];

    assert_int_equal(parse("{\"component\":{"
                           "\"z\":{\"state\":[{\"id\":\"z1\",\"module\":\"m\",\"parameter\":{}}]},"
                           "\"a\":{\"state\":[{\"id\":\"a1\",\"module\":\"m\",\"parameter\":{}},"
                           "{\"id\":\"a2\",\"module\":\"m\",\"parameter\":{}}]}}}",
                           &r, err, sizeof(err)),
                     0);
    assert_int_equal(r.n_states, 3);
    assert_string_equal(r.states[0].id, "z1");
    assert_string_equal(r.states[1].id, "a1");
    assert_string_equal(r.states[2].id, "a2");
    oa_msg_recipe_done(&r);
}

struct bad {
    const char *json;
    int ret;
    const char *err;
};

static const struct bad bad_recipes[] = {
    {"", OA_ESYNTAX, "invalid JSON: empty input"},
    {"\"text\"", OA_ESCHEMA, "expected a recipe (an array of states or an object), got string"},
    {"{}", OA_ESCHEMA,
     "expected an array of states, or an object with 'state', 'component' or \"code\": "
     "\"RecipeMetadata\""},
    {"[[]]", OA_ESCHEMA, "state 1: must be an object, got array"},
    {"[{\"module\":\"m\",\"parameter\":{}},{\"id\":\"x\",\"parameter\":{}}]", OA_ESCHEMA,
     "state 2 (id \"x\"): 'module' must be a non-empty string, got nothing"},
    {"[{\"id\":\"x\",\"module\":\"m\",\"parameter\":\"p\"}]", OA_ESCHEMA,
     "state 1 (id \"x\"): 'parameter' must be an object, got string"},
    {"[{\"id\":true,\"module\":\"m\",\"parameter\":{}}]", OA_ESCHEMA,
     "state 1: 'id' must be a non-empty string, got bool"},
    {"{\"code\":\"RecipeMetadata\",\"recipe_version\":\"3\",\"state\":[]}", OA_ESCHEMA,
     "'recipe_version' must be a positive integer"},
    {"{\"code\":\"RecipeMetadata\",\"recipe_version\":3,\"module\":[],\"state\":[]}", OA_ESCHEMA,
     "'module' must be an object or null, got array"},
    {"{\"code\":\"Test\"}", OA_ESCHEMA, "'code' must be \"RecipeMetadata\" in a recipe file"},
    {"{\"component\":[]}", OA_ESCHEMA, "'component' must be an object, got array"},
    {"{\"component\":{\"init\":{}}}", OA_ESCHEMA,
     "component 'init': 'state' must be an array, got nothing"},
};

static void bad_recipes_say_what_and_where(void **unused)
{
    for (size_t i = 0; i < sizeof(bad_recipes) / sizeof(bad_recipes[0]); i++) {
        struct oa_recipe r;
        char err[512] = "";
        int ret = parse(bad_recipes[i].json, &r, err, sizeof(err));

        if (ret != bad_recipes[i].ret || strcmp(err, bad_recipes[i].err) != 0)
            fail_msg("case %zu: got %d '%s', expected %d '%s'", i, ret, err, bad_recipes[i].ret,
                     bad_recipes[i].err);
    }
}

/* Every recipe the original authors wrote loads, and its state count is the
 * number of "module" keys in the file. */
static void load_dir(const char *dir, size_t *files)
{
    struct dirent *e;
    DIR *d = opendir(dir);

    assert_non_null(d);
    while ((e = readdir(d))) {
        char path[1024], err[512];
        struct oa_recipe r = {0};

        if (e->d_name[0] == '.' || strcmp(e->d_name, "local") == 0) /* adapted copies */
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR) {
            load_dir(path, files);
            continue;
        }
        if (!strstr(e->d_name, ".json"))
            continue;
        if (oa_recipe_load(path, &r, err, sizeof(err)) < 0)
            fail_msg("%s", err);
        assert_true(r.n_states > 0);
        for (size_t i = 0; i < r.n_states; i++) {
            const struct oa_json *p = r.states[i].parameter;
            assert_int_equal(p->type, OA_JSON_RAW);
            assert_true(p->u.str[0] == '{' && p->u.str[p->len - 1] == '}');
        }
        oa_msg_recipe_done(&r);
        (*files)++;
    }
    closedir(d);
}

static void every_fixture_recipe_loads(void **unused)
{
    size_t files = 0;

    load_dir(OA_FIXTURES_DIR "/visualops-recipes", &files);
    assert_int_equal(files, 36 + 29 + 14 + 2 + 1);
}

static void the_light_fixture_gets_made_up_ids(void **unused)
{
    struct oa_recipe r = {0};
    char err[512];

    assert_int_equal(oa_recipe_load(OA_FIXTURES_DIR
                                    "/visualops-recipes/ide/linux.service.complex.ide.light.json",
                                    &r, err, sizeof(err)),
                     0);
    for (size_t i = 0; i < r.n_states; i++) {
        char want[32];
        snprintf(want, sizeof(want), "state-%zu", i + 1);
        assert_string_equal(r.states[i].id, want);
    }
    oa_msg_recipe_done(&r);
}

static void repeated_ids_are_reported(void **unused)
{
    struct oa_recipe r = {0};
    char err[512];

    /* The original authors' own recipes repeat ids (fixtures README). */
    assert_int_equal(oa_recipe_load(OA_FIXTURES_DIR
                                    "/visualops-recipes/complex/linux.user.complex.json",
                                    &r, err, sizeof(err)),
                     0);
    assert_non_null(r.dup_id);
    oa_msg_recipe_done(&r);
}

static void unreadable_files(void **unused)
{
    struct oa_recipe r = {0};
    char err[512];

    assert_int_equal(oa_recipe_load("/nonexistent.json", &r, err, sizeof(err)), -ENOENT);
    assert_string_equal(err,
                        "/nonexistent.json: cannot read the recipe: No such file or directory");
    assert_int_equal(oa_recipe_load("/", &r, err, sizeof(err)), -EISDIR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_bare_array_gets_ids_from_positions),
        cmocka_unit_test(an_object_with_state),
        cmocka_unit_test(a_recipe_metadata_message),
        cmocka_unit_test(components_run_in_file_order),
        cmocka_unit_test(bad_recipes_say_what_and_where),
        cmocka_unit_test(every_fixture_recipe_loads),
        cmocka_unit_test(the_light_fixture_gets_made_up_ids),
        cmocka_unit_test(repeated_ids_are_reported),
        cmocka_unit_test(unreadable_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
