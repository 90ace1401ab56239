/* SPDX-License-Identifier: MIT */
/* test-errno.c: the error table: names, texts, values. */
#include "harness.h"

TEST(errno_names_and_texts)
{
    ASSERT_STR_EQ(coord_err_name(COORD_EINVAL), "COORD_EINVAL");
    ASSERT_STR_EQ(coord_err_name(COORD_ECLOSED), "COORD_ECLOSED");
    ASSERT_STR_EQ(coord_err_name(COORD_EPEERDIED), "COORD_EPEERDIED");
    ASSERT_STR_EQ(coord_err_name(COORD_EBROKEN), "COORD_EBROKEN");
    ASSERT_STR_EQ(coord_err_name(0), "COORD_OK");
    ASSERT_STR_EQ(coord_err_name(COORD_PILL), "COORD_PILL");
    ASSERT_STR_EQ(coord_err_name(COORD_RECOVERED), "COORD_RECOVERED");
    ASSERT_STR_EQ(coord_err_name(-123456), "COORD_EUNKNOWN");
    ASSERT_STR_EQ(coord_strerror(COORD_ETIMEDOUT), "timed out");
    /* COORD_EAGAIN is also a fork that failed (pool, search, team, rounds,
     * manager start): its text must not say only "would block". */
    ASSERT_TRUE(strstr(coord_strerror(COORD_EAGAIN), "fork") != NULL);
    ASSERT_STR_EQ(coord_strerror(-123456), "unknown error");
    ASSERT_STR_EQ(coord_strerror(0), "success");
}

TEST(errno_values)
{
    /* System codes are negated errno values; project codes sit below
     * -4000, out of reach of any errno, and are all distinct. */
    ASSERT_EQ(COORD_EINVAL, -EINVAL);
    ASSERT_EQ(COORD_ENOMEM, -ENOMEM);
    ASSERT_EQ(COORD_ETIMEDOUT, -ETIMEDOUT);
    ASSERT_EQ(COORD_EMSGSIZE, -EMSGSIZE);
    static const int project[] = {COORD_ECLOSED, COORD_EPEERDIED,
                                  COORD_EBROKEN, COORD_ESTOPPED,
                                  COORD_EVERSION, COORD_ENOTFOUND};
    for (size_t i = 0; i < sizeof project / sizeof *project; i++) {
        ASSERT_LT(project[i], -4000);
        for (size_t j = 0; j < i; j++)
            ASSERT_NE(project[i], project[j]);
        ASSERT_TRUE(strcmp(coord_strerror(project[i]), "unknown error"));
    }
    ASSERT_GT(COORD_PILL, 0);
    ASSERT_NE(COORD_PILL, COORD_RECOVERED);
}

TEST(version)
{
    ASSERT_EQ(coord_version(), COORD_VERSION_HEX);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", COORD_VERSION_MAJOR,
             COORD_VERSION_MINOR, COORD_VERSION_PATCH);
    ASSERT_STR_EQ(coord_version_string(), want);
}

TEST(types)
{
    ASSERT_EQ(coord_type_size(COORD_I8), 1);
    ASSERT_EQ(coord_type_size(COORD_U16), 2);
    ASSERT_EQ(coord_type_size(COORD_I32), 4);
    ASSERT_EQ(coord_type_size(COORD_F64), 8);
    ASSERT_EQ(coord_type_size(COORD_BOOL), 1);
    ASSERT_EQ(coord_type_size(COORD_CHAR), 1);
    ASSERT_STR_EQ(coord_type_name(COORD_CHAR), "char");
    ASSERT_EQ(coord_type_size((coord_type)(COORD_CHAR + 1)), 0);
    ASSERT_TRUE(coord_type_name((coord_type)(COORD_CHAR + 1)) == NULL);
    ASSERT_EQ(coord_type_size((coord_type)0), 0);
    ASSERT_EQ(coord_type_size((coord_type)99), 0);
    ASSERT_STR_EQ(coord_type_name(COORD_U64), "u64");
    ASSERT_TRUE(coord_type_name((coord_type)99) == NULL);
}

#define TEST_LIST(X) X(errno_names_and_texts) X(errno_values) X(version) X(types)
#define HELPER_LIST(X)
TEST_MAIN()
