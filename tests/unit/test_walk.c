/*
 * test_walk.c -- the core's directory walk (e2c_walk_*), checked against
 * debugfs: the same paths and inodes as a depth-first walk of debugfs's
 * "ls -p" listings, in the same order; a directory loop stops it with
 * E2C_ERR_DIR_LOOP naming the entry; a missing start is an error.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"
#include "unit.h"

static const char *dir;	/* the scratch directory */

/* debugfs's view, walked depth first by a script: "path ino" lines. */
static const char oracle[] =
	"import subprocess, sys\n"
	"img, start, path = sys.argv[1], sys.argv[2], sys.argv[3]\n"
	"def ls(d):\n"
	"    out = subprocess.run(['debugfs', '-R', 'ls -p ' + d, img],\n"
	"        capture_output=True, text=True).stdout\n"
	"    for l in out.splitlines():\n"
	"        f = l.split('/')\n"
	"        if len(f) >= 7 and f[5] not in ('.', '..') and f[1] != '0':\n"
	"            yield f[5], int(f[1]), f[2].startswith('04')\n"
	"def walk(spec, shown):\n"
	"    for name, ino, isdir in ls(spec):\n"
	"        p = shown.rstrip('/') + '/' + name\n"
	"        print(p, ino)\n"
	"        if isdir:\n"
	"            walk('<%d>' % ino, p)\n"
	"out = subprocess.run(['debugfs', '-R', 'stat ' + start, img],\n"
	"    capture_output=True, text=True).stdout\n"
	"print(path, out.split()[1])\n"
	"walk(start, path)\n";

static int run(const char *fmt, const char *a, const char *b, const char *c)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), fmt, a, b, c);
	return system(cmd);
}

/* The walk from start (reported as path) as "path ino" lines. */
static char *our_walk(e2c_fs *fs, const char *start, const char *path,
		      errcode_t *err, const char **failed)
{
	struct ext2_inode *inode = malloc(e2c_inode_buf_size(fs));
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	const char *p;
	ext2_ino_t ino;
	e2c_walk *w;
	int got;

	buf[0] = 0;
	*failed = NULL;
	*err = e2c_lookup(fs, EXT2_ROOT_INO, start, &ino);
	if (!*err)
		*err = e2c_walk_open(fs, ino, path, &w);
	if (*err) {
		free(inode);
		return buf;
	}
	while (!(*err = e2c_walk_next(w, &ino, &p, inode, &got)) && got) {
		if (len + strlen(p) + 32 > cap)
			buf = realloc(buf, cap *= 2);
		len += sprintf(buf + len, "%s %u\n", p, ino);
		CHECK(inode->i_links_count > 0, "%s: inode %u not read", p, ino);
	}
	if (*err)
		*failed = strdup(p);
	e2c_walk_close(w);
	free(inode);
	return buf;
}

static void check_walk(const char *img, const char *start, const char *path)
{
	char want_file[1200], script[1200];
	const char *failed;
	char *want, *got;
	errcode_t err;
	e2c_fs *fs;
	FILE *f;

	snprintf(script, sizeof(script), "%s/oracle.py", dir);
	f = fopen(script, "w");
	fputs(oracle, f);
	fclose(f);
	snprintf(want_file, sizeof(want_file), "%s/want", dir);
	{
		char cmd[8192];

		snprintf(cmd, sizeof(cmd), "python3 %s %s '%s' '%s' >%s",
			 script, img, start, path, want_file);
		CHECK(system(cmd) == 0, "oracle for %s", start);
	}
	want = unit_slurp(want_file);
	CHECK(!e2c_fs_open(img, NULL, &fs), "open %s", img);
	got = our_walk(fs, start, path, &err, &failed);
	CHECK(!err, "walk %s: %s at %s", start, error_message(err),
	      failed ? failed : "?");
	CHECK(strcmp(want, got) == 0 && *want, "walk %s:\n debugfs:\n%s\n e2c:\n%s",
	      start, want, got);
	free(want);
	free(got);
	free((char *)failed);
	e2c_fs_close(fs);
}

int main(void)
{
	char img[1200], loop[1200];
	const char *failed;
	ext2_ino_t ino;
	e2c_walk *w;
	errcode_t err;
	e2c_fs *fs;
	char *got;

	e2c_init();
	dir = unit_tmpdir("e2c-walk");
	/* a tree with nesting, an empty directory, a symlink to a directory
	 * (not followed), a hard link (reported under both names) and many
	 * entries (several directory blocks) */
	CHECK(run("cd %s && mkdir -p t/a/b/c t/empty t/many && echo x >t/a/f && "
		  "ln t/a/f t/a/b/link && ln -s ../a t/a/b/c/up && "
		  "for i in $(seq 1 150); do echo $i >t/many/file_$i; done && "
		  "mke2fs -q -F -t ext3 -b 1024 -d t %s/img 8M >/dev/null 2>&1",
		  dir, dir, "") == 0, "mke2fs");
	snprintf(img, sizeof(img), "%s/img", dir);
	check_walk(img, "/", "/");
	check_walk(img, "/a", "/a");
	check_walk(img, "/a/b", "a/b/");	/* paths as given */
	check_walk(img, "/a/f", "/a/f");	/* a file: itself only */

	/* /a/b/loop is a second name of /a: the walk stops there. */
	snprintf(loop, sizeof(loop), "%s/loop", dir);
	CHECK(run("cp %s %s && debugfs -w -R 'link /a /a/b/loop' %s "
		  ">/dev/null 2>&1", img, loop, loop) == 0, "link");
	CHECK(!e2c_fs_open(loop, NULL, &fs), "open loop");
	got = our_walk(fs, "/", "/", &err, &failed);
	CHECK(err == E2C_ERR_DIR_LOOP, "loop: got %s", error_message(err));
	CHECK(failed && strcmp(failed, "/a/b/loop") == 0, "loop named %s",
	      failed ? failed : "(none)");
	CHECK(strstr(got, "/a/b/c ") != NULL, "what came before the loop");
	free(got);
	free((char *)failed);

	/* A start that is not an inode in use walks as an error. */
	CHECK(!e2c_walk_open(fs, 99999999, "/x", &w), "walk_open");
	{
		struct ext2_inode *in = malloc(e2c_inode_buf_size(fs));
		const char *p;
		int g;

		err = e2c_walk_next(w, &ino, &p, in, &g);
		CHECK(err == EXT2_ET_BAD_INODE_NUM && strcmp(p, "/x") == 0 &&
		      ino == 99999999, "bad start: %s %s", error_message(err), p);
		free(in);
	}
	e2c_walk_close(w);
	e2c_fs_close(fs);
	if (!getenv("KEEP"))
		run("rm -rf %s%s%s", dir, "", "");
	return unit_done();
}
