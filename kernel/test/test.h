/* test.h - the test framework's public face, shared by in-QEMU kernel tests and
 * host unit tests (the same macros, two runners: kernel/test/runner.c and
 * kernel/test/host/host_runner.c).
 *
 *   TEST_CASE(free_merges_with_both_neighbours) { ... ASSERT_EQ(a, b); ... }
 *   TEST_CASE_SHOULD_PANIC(free_outside_heap_panics) { kfree(bad, 16, 16); }
 *
 * A test registers itself in the `test_cases` linker section, so no central
 * list exists. A failed assertion prints file:line, the test's name, the
 * expression and both values, and ends that test; the runner goes on with the
 * next one and reports the failure in its summary and exit status.
 */
#ifndef TEST_H
#define TEST_H

#include <stdbool.h>
#include <stddef.h>

#define TEST_EXPECT_PANIC 0x1u /* the test passes only if it panics */

struct test_case {
	const char *name;  /* function name, printed by the runner */
	void (*fn)(void);  /* the test body */
	const char *file;  /* where it is defined */
	int line;
	unsigned flags;    /* TEST_EXPECT_PANIC */
};

#define TEST_CASE_FLAGS(name_, flags_)                                                \
	static void test_##name_(void);                                               \
	static const struct test_case test_case_##name_                               \
		__attribute__((used, section("test_cases"), aligned(8))) = {          \
			#name_, test_##name_, __FILE__, __LINE__, (flags_)};          \
	static void test_##name_(void)

#define TEST_CASE(name) TEST_CASE_FLAGS(name, 0)
#define TEST_CASE_SHOULD_PANIC(name) TEST_CASE_FLAGS(name, TEST_EXPECT_PANIC)

/* Reports a failed check in the running test and abandons it. */
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* Runs every registered test, prints one line per test and the summary
 * "N passed, N failed". Kernel: leaves QEMU (0 if all passed). Host: returns
 * the process exit status. */
int test_main(void);

/* Runs fn after every test that passed (for leak checks); fn may use ASSERT. */
void test_set_after_each(void (*fn)(void));

#define ASSERT(cond)                                                                   \
	do {                                                                           \
		if (!(cond))                                                           \
			test_fail(__FILE__, __LINE__, "ASSERT(%s)", #cond);           \
	} while (0)

#define ASSERT_MSG(cond, ...)                                                          \
	do {                                                                           \
		if (!(cond))                                                           \
			test_fail(__FILE__, __LINE__, __VA_ARGS__);                    \
	} while (0)

/* Compares two integers (or pointers) and prints both on failure. */
#define ASSERT_CMP_(a, op, b, opname)                                                  \
	do {                                                                           \
		__typeof__(a) a_ = (a);                                                \
		__typeof__(b) b_ = (b);                                                \
		if (!(a_ op b_))                                                       \
			test_fail(__FILE__, __LINE__,                                  \
				  "ASSERT_" opname "(%s, %s): %lld (0x%llx) vs %lld (0x%llx)", \
				  #a, #b, (long long)(a_), (unsigned long long)(a_),   \
				  (long long)(b_), (unsigned long long)(b_));          \
	} while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b, "EQ")
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b, "NE")
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b, "LT")
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b, "LE")
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b, "GT")
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b, "GE")

#define ASSERT_NULL(p)                                                                 \
	do {                                                                           \
		const void *p_ = (p);                                                  \
		if (p_ != NULL)                                                        \
			test_fail(__FILE__, __LINE__, "ASSERT_NULL(%s): %p", #p, p_);  \
	} while (0)

#define ASSERT_NOT_NULL(p)                                                             \
	do {                                                                           \
		if ((p) == NULL)                                                       \
			test_fail(__FILE__, __LINE__, "ASSERT_NOT_NULL(%s)", #p);      \
	} while (0)

/* Compares n bytes; on failure prints the first differing offset and bytes. */
static inline void test_assert_mem_eq(const char *file, int line, const char *ea, const char *eb,
				      const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			test_fail(file, line,
				  "ASSERT_MEM_EQ(%s, %s, %zu): byte %zu differs: 0x%02x vs 0x%02x", ea,
				  eb, n, i, x[i], y[i]);
}
#define ASSERT_MEM_EQ(a, b, n) test_assert_mem_eq(__FILE__, __LINE__, #a, #b, (a), (b), (n))

#define ASSERT_STR_EQ(a, b)                                                            \
	do {                                                                           \
		const char *sa_ = (a), *sb_ = (b);                                     \
		if (!test_str_eq(sa_, sb_))                                            \
			test_fail(__FILE__, __LINE__, "ASSERT_STR_EQ(%s, %s): \"%s\" vs \"%s\"", \
				  #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
	} while (0)
/* NUL-terminated strings equal (two NULLs are equal, NULL and a string are not). */
static inline bool test_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

#endif /* TEST_H */
