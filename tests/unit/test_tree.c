/*
 * test_tree.c -- the core's extent tree nodes (e2c_extent_nodes), checked
 * against the nodes read off debugfs's dump_extents: a tree of depth 2 (a
 * file of 400 one-block fragments, 1 KiB blocks), one of depth 0, an
 * empty one; a block-mapped inode is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2c.h"
#include "unit.h"

static const char *dir;	/* the scratch directory */

/* Nodes from "debugfs ex": a node starts at an entry numbered 1; its
 * block is the one the last index entry a level up pointed at.  Prints
 * "depth D" then "level pblk entries max" per node. */
static const char oracle[] =
	"import re, subprocess, sys\n"
	"img, spec, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
	"out = subprocess.run(['debugfs', '-R', 'ex ' + spec, img],\n"
	"    capture_output=True, text=True).stdout\n"
	"parent, nodes, depth = {}, [], 0\n"
	"for l in out.splitlines():\n"
	"    m = re.match(r'\\s*(\\d+)/\\s*(\\d+)\\s+(\\d+)/\\s*(\\d+)\\s+\\d+ -\\s+\\d+\\s+(\\d+)', l)\n"
	"    if not m:\n"
	"        continue\n"
	"    lvl, depth, ent, n, pblk = map(int, m.groups())\n"
	"    if lvl < depth:\n"
	"        parent[lvl + 1] = pblk\n"
	"    if ent == 1:\n"
	"        nodes.append((lvl, parent.get(lvl, 0) if lvl else 0, n,\n"
	"                      4 if lvl == 0 else (bs - 12) // 12))\n"
	"if not nodes:\n"
	"    nodes.append((0, 0, 0, 4))\n"
	"print('depth', depth)\n"
	"for n in nodes:\n"
	"    print(*n)\n";

static char *our_nodes(e2c_fs *fs, const char *spec, errcode_t *err)
{
	struct ext2_inode *inode = malloc(e2c_inode_buf_size(fs));
	struct e2c_node *nodes = NULL;
	size_t count = 0, i, len = 0;
	char *buf = calloc(1, 1 << 16);
	ext2_ino_t ino;
	int depth;

	*err = e2c_lookup(fs, EXT2_ROOT_INO, spec, &ino);
	if (!*err)
		*err = e2c_read_inode(fs, ino, inode);
	if (!*err)
		*err = e2c_extent_nodes(fs, ino, inode, &nodes, &count, &depth);
	if (!*err) {
		len += sprintf(buf + len, "depth %d\n", depth);
		for (i = 0; i < count && len < (1 << 16) - 100; i++)
			len += sprintf(buf + len, "%d %llu %d %d\n",
				       nodes[i].level,
				       (unsigned long long)nodes[i].pblk,
				       nodes[i].entries, nodes[i].max_entries);
	}
	free(nodes);
	free(inode);
	return buf;
}

static void check_nodes(e2c_fs *fs, const char *img, const char *spec,
			int want_depth)
{
	char cmd[4096], file[1200];
	char *want, *got;
	errcode_t err;
	int depth = -1;

	snprintf(file, sizeof(file), "%s/want", dir);
	snprintf(cmd, sizeof(cmd), "python3 %s/oracle.py %s %s 1024 >%s",
		 dir, img, spec, file);
	CHECK(system(cmd) == 0, "oracle %s", spec);
	want = unit_slurp(file);
	sscanf(want, "depth %d", &depth);
	CHECK(depth == want_depth, "%s: the image gives depth %d, not %d",
	      spec, depth, want_depth);
	got = our_nodes(fs, spec, &err);
	CHECK(!err, "%s: %s", spec, error_message(err));
	CHECK(strcmp(want, got) == 0, "%s:\n debugfs:\n%s\n e2c:\n%s", spec,
	      want, got);
	free(want);
	free(got);
}

int main(void)
{
	char cmd[8192], img[1200];
	struct ext2_inode *inode;
	struct e2c_node *nodes;
	size_t count;
	ext2_ino_t ino;
	e2c_fs *fs;
	FILE *f;
	int depth;

	e2c_init();
	dir = unit_tmpdir("e2c-tree");
	snprintf(cmd, sizeof(cmd), "%s/oracle.py", dir);
	f = fopen(cmd, "w");
	fputs(oracle, f);
	fclose(f);
	/* /frag: 400 one-block fragments (every other free block marked
	 * in use while debugfs writes it, then freed again); /two: 2
	 * extents; /empty; /old: block-mapped (written with the extent
	 * feature off). */
	snprintf(img, sizeof(img), "%s/img", dir);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir t && seq 1 3000 >t/two && : >t/empty && "
		 "mke2fs -q -F -t ext4 -b 1024 -O ^has_journal img 16M "
		 ">/dev/null 2>&1 && head -c 409600 /dev/urandom >big && "
		 "printf '%%s\\n' 'write t/two /two' 'write t/empty /empty' "
		 "'feature ^extent' 'write t/two /old' 'feature extent' "
		 ">cmds1 && debugfs -w -f cmds1 img >/dev/null 2>&1 && "
		 "debugfs -R 'ffb 2000 1' img 2>/dev/null | "
		 "sed 's/^Free blocks found: //' | tr ' ' '\\n' | grep . | "
		 "awk 'NR %% 2 == 0' >holes && "
		 "{ sed 's/^/setb /' holes; echo 'write big /frag'; "
		 "sed 's/^/freeb /' holes; } >cmds2 && "
		 "debugfs -w -f cmds2 img >/dev/null 2>&1 && "
		 "e2fsck -fn img >/dev/null 2>&1", dir);
	CHECK(system(cmd) == 0, "building the image");
	CHECK(!e2c_fs_open(img, NULL, &fs), "open");
	check_nodes(fs, img, "/frag", 2);
	check_nodes(fs, img, "/two", 0);
	check_nodes(fs, img, "/empty", 0);

	inode = malloc(e2c_inode_buf_size(fs));
	CHECK(!e2c_lookup(fs, EXT2_ROOT_INO, "/old", &ino) &&
	      !e2c_read_inode(fs, ino, inode), "/old");
	CHECK(!(inode->i_flags & EXT4_EXTENTS_FL), "/old is block-mapped");
	CHECK(e2c_extent_nodes(fs, ino, inode, &nodes, &count, &depth) ==
	      EXT2_ET_INODE_NOT_EXTENT, "a block map has no extent nodes");
	free(inode);
	e2c_fs_close(fs);
	if (!getenv("KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		system(cmd);
	}
	return unit_done();
}
