/*
 * test_unmigrate.c -- the block map builder of unmigrate (core/unmigrate.c,
 * e2c_bmap_build): direct, IND, DIND and TIND placement and content, the
 * pre-order of the indirect blocks, the goals it asks the allocator for,
 * and the refusals (a block at 2^32, a file past 12 + k + k^2 + k^3
 * blocks, extents out of order).  No image: the builder is pure.
 */
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"
#include "unit.h"

#define MAXN 64

static struct ext3_extent ext[MAXN];

static void set(size_t i, blk64_t lblk, blk64_t pblk, blk64_t len)
{
	ext[i].ee_block = ext2fs_cpu_to_le32(lblk);
	ext[i].ee_len = ext2fs_cpu_to_le16(len);
	ext[i].ee_start = ext2fs_cpu_to_le32(pblk & 0xffffffffULL);
	ext[i].ee_start_hi = ext2fs_cpu_to_le16(pblk >> 32);
}

/* A fake allocator: block next++, every goal recorded. */
struct fake {
	blk64_t next;
	blk64_t before[MAXN], after[MAXN];
	size_t n;
};

static errcode_t fake_alloc(void *arg, blk64_t before, blk64_t after,
			    blk64_t *blk)
{
	struct fake *f = arg;

	if (f->n >= MAXN)
		return EXT2_ET_BLOCK_ALLOC_FAIL;
	f->before[f->n] = before;
	f->after[f->n++] = after;
	*blk = f->next++;
	return 0;
}

static __u32 slot(const char *nodes, unsigned bs, blk64_t k, blk64_t i)
{
	return ext2fs_le32_to_cpu(((const __u32 *)(nodes + k * bs))[i]);
}

/* Count, then build; returns the count (and the depth in *depth). */
static blk64_t build(unsigned bs, size_t n, struct fake *f, __u32 *root,
		     char **nodes, int *depth, errcode_t *err)
{
	blk64_t count = 0;
	int d2;

	*err = e2c_bmap_build(bs, ext, n, NULL, NULL, NULL, NULL, &count,
			      depth);
	if (*err)
		return 0;
	*nodes = calloc(count ? count : 1, bs);
	*err = e2c_bmap_build(bs, ext, n, fake_alloc, f, root, *nodes, NULL,
			      &d2);
	CHECK(d2 == *depth, "depth %d then %d", *depth, d2);
	CHECK(f->n == count, "%zu allocated, %llu counted", f->n,
	      (unsigned long long)count);
	return count;
}

int main(void)
{
	__u32 root[EXT2_N_BLOCKS];
	struct fake f;
	char *nodes = NULL;
	blk64_t count, i, p;
	errcode_t err;
	int depth;

	/* Direct blocks only: no indirect block, root holds the data. */
	memset(&f, 0, sizeof(f));
	f.next = 5000;
	set(0, 0, 1000, 12);
	count = build(1024, 1, &f, root, &nodes, &depth, &err);
	CHECK(!err && count == 0 && depth == 0, "direct: err %ld count %llu",
	      (long)err, (unsigned long long)count);
	for (i = 0; i < 12; i++)
		CHECK(root[i] == 1000 + i, "root[%llu] = %u",
		      (unsigned long long)i, root[i]);
	CHECK(!root[12] && !root[13] && !root[14], "no indirect slots");
	free(nodes);

	/* 13 blocks laid out as ext3 lays them (IND between block 11 and
	 * 12): the IND goal is the block before block 12's. */
	memset(&f, 0, sizeof(f));
	f.next = 1012;
	set(0, 0, 1000, 12);
	set(1, 12, 1013, 1);
	count = build(1024, 2, &f, root, &nodes, &depth, &err);
	CHECK(!err && count == 1 && depth == 1, "IND: count %llu depth %d",
	      (unsigned long long)count, depth);
	CHECK(f.before[0] == 1012 && f.after[0] == 1012,
	      "IND goals %llu %llu", (unsigned long long)f.before[0],
	      (unsigned long long)f.after[0]);
	CHECK(root[12] == 1012, "root[IND] = %u", root[12]);
	CHECK(slot(nodes, 1024, 0, 0) == 1013 && slot(nodes, 1024, 0, 1) == 0,
	      "IND slots %u %u", slot(nodes, 1024, 0, 0),
	      slot(nodes, 1024, 0, 1));
	free(nodes);

	/* A hole then one block in the DIND range: DIND then its first
	 * IND, in pre-order, the chain just before the data. */
	p = 256;
	memset(&f, 0, sizeof(f));
	f.next = 7000;
	set(0, 12 + p + 5, 9000, 1);
	count = build(1024, 1, &f, root, &nodes, &depth, &err);
	CHECK(!err && count == 2 && depth == 2, "DIND: count %llu depth %d",
	      (unsigned long long)count, depth);
	CHECK(f.before[0] == 8998 && f.before[1] == 8999,
	      "DIND chain goals %llu %llu", (unsigned long long)f.before[0],
	      (unsigned long long)f.before[1]);
	CHECK(!root[12] && root[13] == 7000 && !root[14], "root %u %u %u",
	      root[12], root[13], root[14]);
	CHECK(slot(nodes, 1024, 0, 0) == 7001, "DIND -> IND %u",
	      slot(nodes, 1024, 0, 0));
	CHECK(slot(nodes, 1024, 1, 5) == 9000 && slot(nodes, 1024, 1, 4) == 0,
	      "IND slot 5 %u", slot(nodes, 1024, 1, 5));
	free(nodes);

	/* TIND on 1 KiB blocks: a block past 12 + 256 + 65536, and one in
	 * the second DIND of the TIND. */
	memset(&f, 0, sizeof(f));
	f.next = 100;
	set(0, 0, 50, 1);
	set(1, 12 + p + p * p + 1, 60000, 2);
	set(2, 12 + p + p * p + p * p + 3, 70000, 1);
	count = build(1024, 3, &f, root, &nodes, &depth, &err);
	CHECK(!err && count == 5 && depth == 3, "TIND: count %llu depth %d",
	      (unsigned long long)count, depth);
	CHECK(root[0] == 50 && root[14] == 100 && !root[12] && !root[13],
	      "TIND root %u %u", root[0], root[14]);
	/* pre-order: TIND 100, DIND 101, IND 102, DIND 103, IND 104 */
	CHECK(slot(nodes, 1024, 0, 0) == 101 && slot(nodes, 1024, 0, 1) == 103,
	      "TIND slots %u %u", slot(nodes, 1024, 0, 0),
	      slot(nodes, 1024, 0, 1));
	CHECK(slot(nodes, 1024, 1, 0) == 102, "DIND slot %u",
	      slot(nodes, 1024, 1, 0));
	CHECK(slot(nodes, 1024, 2, 1) == 60000 && slot(nodes, 1024, 2, 2) ==
	      60001, "IND slots %u %u", slot(nodes, 1024, 2, 1),
	      slot(nodes, 1024, 2, 2));
	CHECK(slot(nodes, 1024, 3, 0) == 104 && slot(nodes, 1024, 4, 3) ==
	      70000, "second DIND, IND %u %u", slot(nodes, 1024, 3, 0),
	      slot(nodes, 1024, 4, 3));
	/* the TIND's goal after the data before it: block 51 */
	CHECK(f.after[0] == 51, "TIND after-goal %llu",
	      (unsigned long long)f.after[0]);
	free(nodes);

	/* 4 KiB blocks, one 32768-block extent: IND, DIND, 31 INDs. */
	memset(&f, 0, sizeof(f));
	f.next = 1;
	set(0, 0, 100000, 32768);
	count = build(4096, 1, &f, root, &nodes, &depth, &err);
	CHECK(!err && count == 33 && depth == 2, "4k: count %llu depth %d",
	      (unsigned long long)count, depth);
	CHECK(slot(nodes, 4096, 2, 0) == 100000 + 12 + 1024,
	      "first DIND's IND starts at %u", slot(nodes, 4096, 2, 0));
	free(nodes);

	/* The last block a map reaches, and one past it. */
	set(0, 12 + p + p * p + p * p * p - 1, 500, 1);
	err = e2c_bmap_build(1024, ext, 1, NULL, NULL, NULL, NULL, &count,
			     &depth);
	CHECK(!err && count == 3 && depth == 3, "last block: %ld %llu",
	      (long)err, (unsigned long long)count);
	set(0, 12 + p + p * p + p * p * p, 500, 1);
	err = e2c_bmap_build(1024, ext, 1, NULL, NULL, NULL, NULL, &count,
			     &depth);
	CHECK(err == E2C_ERR_SKIP_TOO_BIG, "past the reach: %ld", (long)err);

	/* 32-bit pointers: block 2^32 - 1 fits, 2^32 does not. */
	set(0, 0, 0xffffffffULL, 1);
	err = e2c_bmap_build(4096, ext, 1, NULL, NULL, NULL, NULL, &count,
			     &depth);
	CHECK(!err, "block 2^32-1: %ld", (long)err);
	set(0, 0, 0xffffffffULL, 2);
	err = e2c_bmap_build(4096, ext, 1, NULL, NULL, NULL, NULL, &count,
			     &depth);
	CHECK(err == E2C_ERR_SKIP_HIGH_BLOCK, "run to 2^32: %ld", (long)err);
	set(0, 0, 1ULL << 40, 1);
	err = e2c_bmap_build(4096, ext, 1, NULL, NULL, NULL, NULL, &count,
			     &depth);
	CHECK(err == E2C_ERR_SKIP_HIGH_BLOCK, "block 2^40: %ld", (long)err);

	/* Overlapping extents are refused, not merged. */
	set(0, 0, 100, 10);
	set(1, 5, 200, 10);
	err = e2c_bmap_build(4096, ext, 2, NULL, NULL, NULL, NULL, &count,
			     &depth);
	CHECK(err == E2C_ERR_EXTENT_ORDER, "overlap: %ld", (long)err);

	return unit_done();
}
