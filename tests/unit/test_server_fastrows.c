/*
 * test_server_fastrows.c - the predict fast path takes exactly the usual
 * shape and hands everything else to the strict path.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/fastrows.h"

static int parse(const char *text, size_t cols, size_t max_rows, size_t stack_n, fast_rows *o,
                 double *stack)
{
    size_t len = strlen(text);
    char *buf = malloc(len + 1);
    memcpy(buf, text, len);
    int ok = fast_rows_parse(buf, len, "inputs", cols, max_rows, stack, stack_n, o);
    free(buf);
    return ok;
}

START_TEST(takes_the_usual_shape)
{
    double stack[8];
    fast_rows o;
    ck_assert_int_eq(parse(" {\"inputs\" : [[1, -2.5e-1],\n[0,3E2]]}\r\n", 2, 10, 8, &o, stack), 1);
    ck_assert_uint_eq(o.rows, 2);
    ck_assert(!o.owned && o.x == stack);
    ck_assert(o.x[0] == 1 && o.x[1] == -0.25 && o.x[2] == 0 && o.x[3] == 300);
    /* more than the stack holds: grows on the heap */
    ck_assert_int_eq(parse("{\"inputs\":[[1,2],[3,4],[5,6],[7,8],[9,10]]}", 2, 10, 8, &o, stack), 1);
    ck_assert(o.owned);
    ck_assert_uint_eq(o.rows, 5);
    ck_assert(o.x[9] == 10 && o.x[0] == 1);
    free(o.x);
}
END_TEST

START_TEST(hands_everything_else_over)
{
    const char *bad[] = {
        "{\"inputs\":[[1,2]]} x", "{\"inputs\":[[1,2,3]]}", "{\"inputs\":[[1]]}",
        "{\"inputs\":[]}", "{\"inputs\":[[]]}", "{\"Inputs\":[[1,2]]}",
        "{\"inputs\":[[1,2]],\"inputs\":[[1,2]]}", "{\"inputs\":[[1,1e999]]}",
        "{\"inputs\":[[1,NaN]]}", "{\"inputs\":[[1,01]]}", "{\"inputs\":[[1,.5]]}",
        "{\"inputs\":[[1,+5]]}", "{\"inputs\":[[1,2],[3,4],[5,6]]}", "{\"inputs\":[[1,\"2\"]]}",
        "{\"inputs\":[[1,2],]}", "[[1,2]]", "", "{\"inputs\":[[1,2]]", "{\"inputs\":[[1,2e]]}",
        "{\"inputs\":[[1,-]]}", "{\"inputs\":[[1,0x10]]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double stack[2];
        fast_rows o;
        ck_assert_msg(parse(bad[i], 2, 2, 2, &o, stack) == 0, "took %s", bad[i]);
        ck_assert_ptr_null(o.x);
        ck_assert(!o.owned);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_fastrows");
    TCase *tc = tcase_create("fastrows");
    tcase_add_test(tc, takes_the_usual_shape);
    tcase_add_test(tc, hands_everything_else_over);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
