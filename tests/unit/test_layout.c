/*
 * test_layout.c -- the relocation layout planner (core/layout.c) on
 * made-up extents: data islands placed back to back, holes kept as
 * holes, moves cut at source extents and destination ranges, new extents
 * merged across both and split at the length limits, uninitialized
 * extents kept apart and not counted as copied; and the ideal count.
 */
#include <string.h>

#include "e2c_int.h"
#include "unit.h"

#define U E2C_UNINIT

struct x { blk64_t lblk, pblk, len; unsigned int flags; };

static size_t mk(const struct x *in, size_t n, struct ext3_extent *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		e2c_ext_put(&out[i], in[i].lblk, in[i].pblk, in[i].len,
			    in[i].flags);
	return n;
}

/* l's new extents are want[0..n-1]. */
static void expect_ext(const struct e2c_layout *l, const struct x *want,
		       size_t n, const char *what)
{
	blk64_t lblk, pblk, len;
	unsigned int flags;
	size_t i;

	CHECK(l->next == n, "%s: %zu new extents, wanted %zu", what, l->next,
	      n);
	for (i = 0; i < n && i < l->next; i++) {
		e2c_ext_get(&l->ext[i], &lblk, &pblk, &len, &flags);
		CHECK(lblk == want[i].lblk && pblk == want[i].pblk &&
		      len == want[i].len && flags == want[i].flags,
		      "%s: extent %zu is %llu@%llu+%llu/%u, wanted "
		      "%llu@%llu+%llu/%u", what, i, (unsigned long long)lblk,
		      (unsigned long long)pblk, (unsigned long long)len, flags,
		      (unsigned long long)want[i].lblk,
		      (unsigned long long)want[i].pblk,
		      (unsigned long long)want[i].len, want[i].flags);
	}
}

int main(void)
{
	struct ext3_extent src[8];
	struct e2c_layout l;
	size_t n;

	/* A fragmented file, one island, into one range: one extent. */
	{
		static const struct x in[] = {
			{ 0, 100, 3, 0 }, { 3, 50, 2, 0 }, { 5, 900, 5, 0 },
		};
		static const struct e2c_blkrange dst[] = { { 2000, 10 } };
		static const struct x want[] = { { 0, 2000, 10, 0 } };

		n = mk(in, 3, src);
		CHECK(e2c_layout_ideal(src, n) == 1, "ideal of one island");
		CHECK(!e2c_layout(src, n, dst, 1, &l), "layout");
		expect_ext(&l, want, 1, "one range");
		CHECK(l.nmoves == 3 && l.copy_blocks == 10 && l.runs == 1,
		      "moves %zu copy %llu runs %llu", l.nmoves,
		      (unsigned long long)l.copy_blocks,
		      (unsigned long long)l.runs);
		CHECK(l.moves[1].src == 50 && l.moves[1].dst == 2003 &&
		      l.moves[1].lblk == 3 && l.moves[1].len == 2,
		      "second move");
		e2c_layout_free(&l);
	}
	/* Holes stay holes: two islands back to back physically, two
	 * extents (the ideal); the ranges cut the second island. */
	{
		static const struct x in[] = {
			{ 0, 100, 4, 0 }, { 10, 300, 6, 0 },
		};
		static const struct e2c_blkrange dst[] = {
			{ 500, 7 }, { 800, 3 },
		};
		static const struct x want[] = {
			{ 0, 500, 4, 0 }, { 10, 504, 3, 0 }, { 13, 800, 3, 0 },
		};

		n = mk(in, 2, src);
		CHECK(e2c_layout_ideal(src, n) == 2, "ideal of two islands");
		CHECK(!e2c_layout(src, n, dst, 2, &l), "layout");
		expect_ext(&l, want, 3, "holes and a cut");
		CHECK(l.runs == 3, "runs %llu", (unsigned long long)l.runs);
		e2c_layout_free(&l);
	}
	/* Uninitialized extents: new blocks, kept uninitialized, never
	 * merged with written ones, not copied. */
	{
		static const struct x in[] = {
			{ 0, 100, 3, 0 }, { 3, 200, 5, U }, { 8, 205, 2, 0 },
		};
		static const struct e2c_blkrange dst[] = { { 1000, 10 } };
		static const struct x want[] = {
			{ 0, 1000, 3, 0 }, { 3, 1003, 5, U }, { 8, 1008, 2, 0 },
		};

		n = mk(in, 3, src);
		CHECK(e2c_layout_ideal(src, n) == 3, "ideal with uninit");
		CHECK(!e2c_layout(src, n, dst, 1, &l), "layout");
		expect_ext(&l, want, 3, "uninit");
		CHECK(l.copy_blocks == 5, "copy %llu",
		      (unsigned long long)l.copy_blocks);
		e2c_layout_free(&l);
	}
	/* The length limits: 40000 written blocks in one range are two
	 * extents (32768 + 7232); 40000 unwritten, 32767 + 7233. */
	{
		static const struct x in[] = {
			{ 0, 10, 32768, 0 }, { 32768, 70000, 7232, 0 },
		};
		static const struct x inu[] = {
			{ 0, 10, 32767, U }, { 32767, 70000, 7233, U },
		};
		static const struct e2c_blkrange dst[] = { { 100000, 40000 } };
		static const struct x want[] = {
			{ 0, 100000, 32768, 0 }, { 32768, 132768, 7232, 0 },
		};
		static const struct x wantu[] = {
			{ 0, 100000, 32767, U }, { 32767, 132767, 7233, U },
		};

		n = mk(in, 2, src);
		CHECK(e2c_layout_ideal(src, n) == 2, "ideal at the limit");
		CHECK(!e2c_layout(src, n, dst, 1, &l), "layout");
		expect_ext(&l, want, 2, "limit");
		CHECK(l.runs == 1, "one run split at the limit");
		e2c_layout_free(&l);
		n = mk(inu, 2, src);
		CHECK(!e2c_layout(src, n, dst, 1, &l), "layout uninit");
		expect_ext(&l, wantu, 2, "uninit limit");
		e2c_layout_free(&l);
	}
	/* Too little room: refused, nothing returned. */
	{
		static const struct x in[] = { { 0, 100, 5, 0 } };
		static const struct e2c_blkrange dst[] = { { 10, 4 } };

		n = mk(in, 1, src);
		CHECK(e2c_layout(src, n, dst, 1, &l) ==
		      EXT2_ET_BLOCK_ALLOC_FAIL && !l.moves && !l.ext,
		      "short ranges refused");
	}
	/* Nothing at all: no moves, no extents. */
	CHECK(!e2c_layout(src, 0, NULL, 0, &l) && !l.next && !l.nmoves,
	      "empty file");
	e2c_layout_free(&l);
	return unit_done();
}
