/*
 * test_map.c -- the core's map cursor, lookups and inode scan, checked
 * against debugfs on images built at test time.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"
#include "unit.h"

static const char *dir;	/* the scratch directory */

static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

/* debugfs's `blocks` output for spec, without the trailing newline. */
static char *debugfs_blocks(const char *img, const char *spec)
{
	char cmd[1024], *buf = NULL;
	size_t cap = 0, len = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'blocks %s' %s 2>/dev/null",
		 spec, img);
	f = popen(cmd, "r");
	if (!f)
		return NULL;
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, 4096, f);
		if (!n)
			break;
		len += n;
	}
	pclose(f);
	while (len && (buf[len - 1] == '\n'))
		len--;
	buf[len] = 0;
	return buf;
}

/* The cursor's pieces printed as debugfs `blocks` prints them. */
static char *our_blocks(e2c_fs *fs, ext2_ino_t ino, errcode_t *err)
{
	struct e2c_piece p;
	e2c_map *m;
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	int got;

	buf[0] = 0;
	*err = e2c_map_open(fs, ino, NULL, &m);
	if (*err)
		return buf;
	while (!(*err = e2c_map_next(m, &p, &got)) && got) {
		for (blk64_t i = 0; i < p.len; i++) {
			if (len + 32 > cap)
				buf = realloc(buf, cap *= 2);
			len += sprintf(buf + len, "%llu ",
				       (unsigned long long)(p.pblk + i));
		}
	}
	e2c_map_close(m);
	return buf;
}

/* Runs and holes must tile [0, size) exactly when nothing lies past EOF. */
static void check_tiling(e2c_fs *fs, ext2_ino_t ino, const char *name)
{
	struct e2c_piece r;
	e2c_map *m;
	blk64_t mapped = 0, holes = 0, last_end = 0;
	struct ext2_inode *inode = malloc(e2c_inode_buf_size(fs));
	int got, ordered = 1;

	CHECK(inode && !e2c_read_inode(fs, ino, inode), "%s: read", name);
	if (!inode)
		return;
	CHECK(!e2c_map_open(fs, ino, NULL, &m), "%s: open", name);
	while (!e2c_map_next_run(m, &r, &got) && got) {
		ordered &= r.lblk >= last_end;
		last_end = r.lblk + r.len;
		mapped += r.len;
	}
	e2c_map_close(m);
	CHECK(!e2c_map_open(fs, ino, NULL, &m), "%s: open", name);
	while (!e2c_map_next_hole(m, &r, &got) && got)
		holes += r.len;
	e2c_map_close(m);
	CHECK(ordered, "%s: runs out of logical order", name);
	CHECK(mapped + holes ==
	      (EXT2_I_SIZE(inode) + e2c_fs_block_size(fs) - 1) / e2c_fs_block_size(fs),
	      "%s: %llu mapped + %llu holes != size in blocks", name,
	      (unsigned long long)mapped, (unsigned long long)holes);
	free(inode);
}

static const char *files[] = {
	"/empty", "/tiny", "/twelve", "/thirteen", "/ind_edge", "/dind",
	"/sparse_ind", "/sparse_dind", "/sparse_tind", "/sparse_tail",
	"/dir/big", "/slowlink", "/hardlink_a", NULL
};

static void check_image(const char *kind, const char *bs)
{
	char img[256], tree[256];
	e2c_fs *fs;
	errcode_t err;
	int i;

	snprintf(img, sizeof(img), "%s/%s-%s.img", dir, kind, bs);
	snprintf(tree, sizeof(tree), "%s/tree-%s", dir, bs);
	if (access(tree, F_OK))
		sh("python3 tests/gen_tree.py %s %s", tree, bs);
	char opts[128];
	snprintf(opts, sizeof(opts), "-t %s -b %s", kind, bs);
	{
		char cmd[1024];
		snprintf(cmd, sizeof(cmd),
			 "mke2fs -q -F %s -d %s %s 32M >/dev/null 2>&1",
			 opts, tree, img);
		CHECK(system(cmd) == 0, "mke2fs %s", cmd);
	}
	err = e2c_fs_open(img, NULL, &fs);
	CHECK(!err, "open %s: %s", img, error_message(err));
	if (err)
		return;
	for (i = 0; files[i]; i++) {
		ext2_ino_t ino;
		char *want, *got;

		err = e2c_lookup(fs, EXT2_ROOT_INO, files[i], &ino);
		CHECK(!err, "lookup %s: %s", files[i], error_message(err));
		if (err)
			continue;
		want = debugfs_blocks(img, files[i]);
		got = our_blocks(fs, ino, &err);
		CHECK(!err, "%s: walk: %s", files[i], error_message(err));
		size_t gl = strlen(got);
		if (gl && got[gl - 1] == ' ')
			got[gl - 1] = 0;
		/* debugfs prints "N N N " then a newline: compare the numbers */
		size_t wl = strlen(want);
		while (wl && want[wl - 1] == ' ')
			want[--wl] = 0;
		CHECK(!strcmp(want, got), "%s %s %s: blocks differ:\n  debugfs: %.200s\n  e2c:     %.200s",
		      kind, bs, files[i], want, got);
		check_tiling(fs, ino, files[i]);
		free(want);
		free(got);
	}
	e2c_fs_close(fs);
}

/* Pointers out of range or into metadata stop the walk with our codes. */
static void check_corrupt(void)
{
	char img[256], cmd[8192];
	e2c_fs *fs;
	ext2_ino_t ino;
	errcode_t err;
	char *got;

	snprintf(img, sizeof(img), "%s/ext3-1024.img", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s.bad && debugfs -w -R "
		 "'sif /thirteen block[IND] 99999999' %s.bad >/dev/null 2>&1",
		 img, img, img);
	CHECK(system(cmd) == 0, "corrupting");
	snprintf(cmd, sizeof(cmd), "%s.bad", img);
	CHECK(!e2c_fs_open(cmd, NULL, &fs), "open corrupt image");
	CHECK(!e2c_lookup(fs, EXT2_ROOT_INO, "/thirteen", &ino), "lookup");
	got = our_blocks(fs, ino, &err);
	CHECK(err == E2C_ERR_PTR_RANGE, "IND out of range: got %s",
	      error_message(err));
	free(got);
	e2c_fs_close(fs);

	/* Point the IND block at the inode table of group 0 (metadata). */
	snprintf(cmd, sizeof(cmd), "cp %s %s.bad && debugfs -w -R "
		 "\"sif /thirteen block[IND] $(dumpe2fs %s 2>/dev/null | "
		 "sed -n 's/.*Inode table at \\([0-9]*\\)-.*/\\1/p' | head -1)\" "
		 "%s.bad >/dev/null 2>&1", img, img, img, img);
	CHECK(system(cmd) == 0, "corrupting");
	snprintf(cmd, sizeof(cmd), "%s.bad", img);
	CHECK(!e2c_fs_open(cmd, NULL, &fs), "open corrupt image");
	CHECK(!e2c_lookup(fs, EXT2_ROOT_INO, "/thirteen", &ino), "lookup");
	got = our_blocks(fs, ino, &err);
	CHECK(err == E2C_ERR_PTR_METADATA, "IND into metadata: got %s",
	      error_message(err));
	free(got);
	e2c_fs_close(fs);
}

static void check_lookup_and_scan(void)
{
	char img[256];
	e2c_fs *fs;
	e2c_scan *s;
	ext2_ino_t ino, cwd;
	struct ext2_inode *inode;
	int n = 0;

	snprintf(img, sizeof(img), "%s/ext3-1024.img", dir);
	CHECK(!e2c_fs_open(img, NULL, &fs), "open");
	CHECK(e2c_lookup(fs, 2, "/nope", &ino) == EXT2_ET_FILE_NOT_FOUND,
	      "missing path");
	CHECK(e2c_lookup(fs, 2, "<0>", &ino) == EXT2_ET_BAD_INODE_NUM,
	      "<0>");
	CHECK(e2c_lookup(fs, 2, "<99999999>", &ino) == EXT2_ET_BAD_INODE_NUM,
	      "<huge>");
	CHECK(!e2c_lookup(fs, 2, "<12>", &ino) && ino == 12, "<12>");
	CHECK(!e2c_lookup(fs, 2, "/dir/sub", &cwd), "dir/sub");
	CHECK(!e2c_lookup(fs, cwd, "deep/x", &ino), "relative lookup");
	CHECK(e2c_lookup(fs, 2, "/tiny/x", &ino) == EXT2_ET_NO_DIRECTORY,
	      "file as directory");

	inode = malloc(e2c_inode_buf_size(fs));
	CHECK(inode != NULL, "inode buffer");
	CHECK(!e2c_scan_open(fs, &s), "scan");
	while (inode && !e2c_scan_next(s, &ino, inode) && ino)
		n++;
	e2c_scan_close(s);
	free(inode);
	/* 10 reserved + lost+found + the tree's inodes, all in use */
	CHECK(n == (int)(e2c_fs_inodes_count(fs) -
			 e2c_fs_handle(fs)->super->s_free_inodes_count),
	      "scan found %d in-use inodes, superblock says %u", n,
	      e2c_fs_inodes_count(fs) -
	      e2c_fs_handle(fs)->super->s_free_inodes_count);
	e2c_fs_close(fs);
}

int main(void)
{
	e2c_init();
	dir = unit_tmpdir("e2c-unit");
	check_image("ext3", "1024");
	check_image("ext2", "4096");
	check_image("ext4", "4096");
	check_corrupt();
	check_lookup_and_scan();
	sh("rm -rf %s%s", dir, "");
	return unit_done();
}
