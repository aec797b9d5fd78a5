/*
 * test_htree.c -- the core's htree reader (e2c_htree_read), checked
 * against the index's own rules and debugfs: every name of the directory
 * (debugfs ls) is in exactly one leaf; each leaf's hashes lie in its
 * index entry's range and are what debugfs dx_hash computes; leaf blocks
 * are where debugfs bmap puts them; the dx tails' checksums are valid.
 * Then corrupt indexes (a block referenced twice, past the end, count >
 * limit, too many levels, a leaf with a bad checksum) are reported in
 * the node or leaf that holds them and the rest is still read; a plain
 * directory and a file are refused.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"
#include "unit.h"

static char dir[1024];

static int run(const char *fmt, const char *a, const char *b)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

/* A number printed by a shell command (-1 when none). */
static long long number(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	long long v = -1;

	if (p) {
		if (fscanf(p, "%lld", &v) != 1)
			v = -1;
		pclose(p);
	}
	return v;
}

struct stats {
	size_t names, leaves, nodes, bad_order, bad_csum, errors;
	size_t lblk_checked, lblk_bad;
	const char *img;
	char *seen;		/* "\nname\n..." of the leaves' names */
	size_t seen_len, seen_cap;
};

static void add_name(struct stats *s, const char *name, size_t len)
{
	if (s->seen_len + len + 2 > s->seen_cap) {
		s->seen_cap = 2 * (s->seen_cap + len + 2);
		s->seen = realloc(s->seen, s->seen_cap);
	}
	s->seen[s->seen_len++] = '\n';
	memcpy(s->seen + s->seen_len, name, len);
	s->seen_len += len;
	s->seen[s->seen_len] = 0;
}

/* Walk the tree: hashes in [lo, hi), names collected, a few leaves'
 * blocks compared with debugfs bmap. */
static void check_node(struct stats *s, const struct e2c_dx_node *n,
		       ext2_ino_t ino, __u64 lo, __u64 hi)
{
	unsigned int i;
	size_t j;

	s->nodes++;
	if (n->err) {
		s->errors++;
		return;
	}
	if (n->has_tail && (n->csum_err || n->checksum != n->expected))
		s->bad_csum++;
	for (i = 0; i < n->count; i++) {
		const struct e2c_dx_entry *e = &n->ents[i];
		__u64 elo = i ? (e->hash & ~1U) : lo;
		__u64 ehi = i + 1 < n->count ?
			    (n->ents[i + 1].hash & ~1U) + 1 : hi;

		if (e->node) {
			check_node(s, e->node, ino, elo, ehi);
			continue;
		}
		s->leaves++;
		if (e->leaf->err) {
			s->errors++;
			continue;
		}
		if (s->leaves % 37 == 1) {
			char cmd[2048];

			snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap <%u> %llu' "
				 "%s 2>/dev/null", ino,
				 (unsigned long long)e->leaf->lblk, s->img);
			s->lblk_checked++;
			if (number(cmd) != (long long)e->leaf->pblk)
				s->lblk_bad++;
		}
		for (j = 0; j < e->leaf->count; j++) {
			const struct e2c_dx_dirent *d = &e->leaf->ents[j];

			if (d->tail || !d->ino)
				continue;
			s->names++;
			add_name(s, d->name, d->name_len);
			if (d->hash < elo || d->hash >= ehi)
				s->bad_order++;
		}
	}
}

/* debugfs's names of the directory, "\nname" each, sorted; ours too. */
static int same_names(const char *img, const char *path, const char *ours)
{
	char cmd[8192], file[1200], *want;
	FILE *f;
	int same;

	snprintf(file, sizeof(file), "%s/ours", dir);
	f = fopen(file, "w");
	fputs(ours + 1, f);
	fputc('\n', f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sort %s/ours >%s/ours.s && debugfs -R "
		 "'ls -p %s' %s 2>/dev/null | awk -F/ 'NF >= 7 && $2 != 0 && "
		 "$6 != \".\" && $6 != \"..\" { print $6 }' | sort >%s/want && "
		 "cmp -s "
		 "%s/want %s/ours.s", dir, dir, path, img, dir, dir, dir);
	same = system(cmd) == 0;
	snprintf(file, sizeof(file), "%s/want", dir);
	want = unit_slurp(file);
	CHECK(want && strlen(want) > 100, "debugfs listed %s", path);
	free(want);
	return same;
}

/* The hash debugfs dx_hash gives name, with the fs's seed. */
static long long dx_hash(const char *img, const char *seed, const char *name)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "debugfs -R 'dx_hash -h half_md4 -s %s %s' "
		 "%s 2>/dev/null | sed -n 's/.* is 0x\\([0-9a-f]*\\) .*/0x\\1/p'"
		 " | xargs printf '%%d\\n'", seed, name, img);
	return number(cmd);
}

static struct e2c_htree *read_tree(const char *img, const char *path,
				   e2c_fs **fs, errcode_t *err)
{
	struct e2c_htree *t = NULL;
	ext2_ino_t ino;

	*err = e2c_fs_open(img, NULL, fs);
	CHECK(!*err, "open %s: %s", img, error_message(*err));
	if (*err)
		return NULL;
	*err = e2c_lookup(*fs, EXT2_ROOT_INO, path, &ino);
	if (!*err)
		*err = e2c_htree_read(*fs, ino, &t);
	return t;
}

/* Write a little-endian value of n bytes at byte off of block blk. */
static void patch(const char *img, long long blk, unsigned int off,
		  unsigned int v, int n)
{
	unsigned char b[4] = { v, v >> 8, v >> 16, v >> 24 };
	int fd = open(img, O_WRONLY);

	CHECK(fd >= 0 && pwrite(fd, b, n, blk * 1024 + off) == n,
	      "patch %s", img);
	if (fd >= 0)
		close(fd);
}

/* The first error in the tree (the node, then its children in order). */
static errcode_t first_err(const struct e2c_dx_node *n)
{
	unsigned int i;
	errcode_t e;

	if (n->err)
		return n->err;
	for (i = 0; i < n->count; i++) {
		if (n->ents[i].leaf && n->ents[i].leaf->err)
			return n->ents[i].leaf->err;
		if (n->ents[i].node && (e = first_err(n->ents[i].node)))
			return e;
	}
	return 0;
}

static struct {
	const char *what;
	unsigned int off, v;
	int n;
	errcode_t want;
} cases[] = {
	{ "entry 1 points at entry 0's block", 44, 0, 4, E2C_ERR_HTREE_BLOCK },
	{ "entry 0 points past the end", 36, 100000, 4, E2C_ERR_HTREE_BLOCK },
	{ "count above limit", 34, 500, 2, E2C_ERR_HTREE_BAD },
	{ "5 index levels", 30, 5, 1, E2C_ERR_HTREE_BAD },
};

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char img[1200], bad[1200], cmd[4096], seed[64];
	struct stats s = { 0 };
	struct e2c_htree *t;
	long long root, leaf0;
	size_t leaves;
	errcode_t err;
	e2c_fs *fs;
	int i;

	e2c_init();
	snprintf(dir, sizeof(dir), "%s/e2c-htree.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	/* 400 names in one directory, one per leaf (slack 100%): an index
	 * with one level of index nodes on 1 KiB blocks, metadata_csum. */
	snprintf(img, sizeof(img), "%s/img", dir);
	CHECK(run("cd %s && mkdir -p t/big t/plain && for i in $(seq 1 400); "
		  "do : >t/big/name_$i; done && : >t/plain/a && "
		  "printf '[options]\\n\\tindexed_dir_slack_percentage = 100\\n'"
		  " >e2fsck.conf && mke2fs -q -F -t ext4 -b 1024 -N 1024 "
		  "-E hash_seed=6d2a4b3c-1111-4222-8333-444455556666 -d t "
		  "img 16M >/dev/null 2>&1 && E2FSCK_CONFIG=$PWD/e2fsck.conf "
		  "e2fsck -fyD img >/dev/null 2>&1; e2fsck -fn img >/dev/null "
		  "2>&1", dir, "") == 0, "image");
	strcpy(seed, "6d2a4b3c-1111-4222-8333-444455556666");

	t = read_tree(img, "/big", &fs, &err);
	CHECK(t && !err, "htree /big: %s", error_message(err));
	if (t) {
		ext2_ino_t ino = t->ino;

		CHECK(t->indirect_levels == 1 && t->hash_version == 1 &&
		      t->info_length == 8, "root: levels %d version %d",
		      t->indirect_levels, t->hash_version);
		s.img = img;
		check_node(&s, &t->root, ino, 0, 0x100000000ULL);
		CHECK(s.names == 400 && s.leaves >= 400, "names %zu leaves %zu",
		      s.names, s.leaves);
		CHECK(!s.bad_order, "%zu hashes outside their entry's range",
		      s.bad_order);
		CHECK(!s.bad_csum && !s.errors, "%zu bad dx checksums, %zu "
		      "errors", s.bad_csum, s.errors);
		CHECK(s.lblk_checked > 5 && !s.lblk_bad, "%zu of %zu leaf "
		      "blocks not where debugfs bmap puts them", s.lblk_bad,
		      s.lblk_checked);
		CHECK(same_names(img, "/big", s.seen), "the leaves' names are "
		      "not debugfs's ls");
		/* A few hashes against debugfs dx_hash. */
		for (i = 0; i < 3; i++) {
			const struct e2c_dx_leaf *l =
				t->root.ents[i].node->ents[i + 1].leaf;
			const struct e2c_dx_dirent *d = &l->ents[0];
			char name[300];

			snprintf(name, sizeof(name), "%.*s", (int)d->name_len,
				 d->name);
			CHECK(dx_hash(img, seed, name) == (long long)d->hash,
			      "hash of %s: %lld, ours 0x%x", name,
			      dx_hash(img, seed, name), d->hash);
		}
		leaves = s.leaves;
		e2c_htree_free(t);
	} else {
		leaves = 0;
	}
	e2c_fs_close(fs);
	free(s.seen);

	/* Refusals. */
	t = read_tree(img, "/plain", &fs, &err);
	CHECK(!t && err == E2C_ERR_NOT_INDEXED, "plain dir: %s",
	      error_message(err));
	e2c_fs_close(fs);
	t = read_tree(img, "/plain/a", &fs, &err);
	CHECK(!t && err == EXT2_ET_NO_DIRECTORY, "file: %s",
	      error_message(err));
	e2c_fs_close(fs);

	/* Corruptions of the root block (dir block 0): entry i of the root
	 * has its hash at 32 + 8i and its block at 36 + 8i. */
	snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap /big 0' %s 2>/dev/null",
		 img);
	root = number(cmd);
	CHECK(root > 0, "root block %lld", root);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
		CHECK(run("cp %s %s", img, bad) == 0, "cp");
		if (cases[i].off == 44) {	/* entry 0's block */
			snprintf(cmd, sizeof(cmd), "od -An -t u4 -j %lld -N 4 %s",
				 root * 1024 + 36, img);
			cases[i].v = (unsigned int)number(cmd);
		}
		patch(bad, root, cases[i].off, cases[i].v, cases[i].n);
		t = read_tree(bad, "/big", &fs, &err);
		CHECK(t && !err, "%s: read: %s", cases[i].what,
		      error_message(err));
		if (t) {
			errcode_t got = first_err(&t->root);

			CHECK(got == cases[i].want, "%s: %s", cases[i].what,
			      error_message(got));
			if (i == 0) {	/* the rest is still read */
				memset(&s, 0, sizeof(s));
				s.img = bad;
				check_node(&s, &t->root, t->ino, 0,
					   0x100000000ULL);
				CHECK(s.errors == 1 && s.names >= leaves / 2,
				      "after the loop: %zu errors, %zu names",
				      s.errors, s.names);
				free(s.seen);
			}
			e2c_htree_free(t);
		}
		e2c_fs_close(fs);
	}

	/* A leaf whose checksum fails: that leaf's error, the others read. */
	CHECK(run("cp %s %s", img, bad) == 0, "cp");
	snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap /big 1' %s 2>/dev/null",
		 bad);
	leaf0 = number(cmd);
	patch(bad, leaf0, 12, 0x7a, 1);		/* a byte of a name */
	t = read_tree(bad, "/big", &fs, &err);
	CHECK(t && !err, "bad leaf: %s", error_message(err));
	if (t) {
		memset(&s, 0, sizeof(s));
		s.img = bad;
		check_node(&s, &t->root, t->ino, 0, 0x100000000ULL);
		CHECK(s.errors == 1 && s.names == 399, "bad leaf: %zu errors, "
		      "%zu names", s.errors, s.names);
		free(s.seen);
		e2c_htree_free(t);
	}
	e2c_fs_close(fs);

	if (!getenv("KEEP"))
		run("rm -rf %s%s", dir, "");
	return unit_done();
}
