/*
 * rawdump.c -- bytes as debugfs 1.47.0 shows them: the hex and ASCII
 * dump of block_dump and inode_dump, and the extended attribute
 * structures of block_dump -x and inode_dump -x.  Every field is read
 * inside the buffer (a corrupt length says "<runs off end>" or stops).
 */
#include <ctype.h>
#include <string.h>

#include "shell.h"

void e2sh_hexdump(FILE *out, const unsigned char *buf, size_t len)
{
	size_t i, j, n;
	long same = -1;		/* start of the run of repeated lines */

	for (i = 0; i < len; i += 16) {
		n = len - i > 16 ? 16 : len - i;
		/* A line like the one before is "*"; so is every line
		 * after it that is like the first of the run. */
		if (same < 0 && i && !memcmp(buf + i, buf + i - n, n)) {
			same = (long)i;
			fputs("*\n", out);
			continue;
		}
		if (same >= 0) {
			if (!memcmp(buf + i, buf + same, n))
				continue;
			same = -1;
		}
		fprintf(out, "%04o  ", (unsigned int)i);
		for (j = 0; j < 16; j++) {
			if (j < n)
				fprintf(out, "%02x", buf[i + j]);
			else
				fputs("  ", out);
			if (j % 2)
				fputc(' ', out);
		}
		fputc(' ', out);
		for (j = 0; j < n; j++)
			fputc(isprint(buf[i + j]) ? buf[i + j] : '.', out);
		fputc('\n', out);
	}
	fputc('\n', out);
}

/* At most 3 unprintable bytes. */
static int mostly_printable(const unsigned char *p, size_t len)
{
	size_t bad = 0;

	while (len--)
		if (!isprint(*p++) && ++bad > 3)
			return 0;
	return 1;
}

/* Control characters as ^X, bytes above 128 as M-x (debugfs's form). */
static void safe_print(FILE *out, const unsigned char *p, size_t len)
{
	while (len--) {
		unsigned char ch = *p++;

		if (ch > 128) {
			fputs("M-", out);
			ch -= 128;
		}
		if (ch < 32 || ch == 0x7f) {
			fputc('^', out);
			ch ^= 0x40;
		}
		fputc(ch, out);
	}
}

static __u32 get32(const unsigned char *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return ext2fs_le32_to_cpu(v);
}

static __u16 get16(const unsigned char *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return ext2fs_le16_to_cpu(v);
}

/* The entries from start; values at value_start + e_value_offs. */
static void xattr_entries(FILE *out, const unsigned char *buf, size_t start,
			  size_t len, size_t value_start)
{
	const size_t esize = sizeof(struct ext2_ext_attr_entry);
	size_t off = start;

	while (off < len) {
		const struct ext2_ext_attr_entry *raw =
			(const struct ext2_ext_attr_entry *)(buf + off);
		size_t nlen, voffs, vsize, vstart;
		__u32 vino;

		if (off + 2 <= len && !get16(buf + off)) {
			fprintf(out, "last entry found at offset %zu (%04zo)\n",
				off, off);
			break;
		}
		if (off + esize >= len) {
			fprintf(out, "xattr buffer overrun at %zu (len = %zu)\n",
				off, len);
			break;
		}
		nlen = raw->e_name_len;
		voffs = get16((const unsigned char *)&raw->e_value_offs);
		vino = get32((const unsigned char *)&raw->e_value_inum);
		vsize = get32((const unsigned char *)&raw->e_value_size);
		vstart = value_start + voffs;
		fprintf(out, "offset = %zu (%04zo), hash = %u, name_len = %zu, "
			"name_index = %u\n", off, off,
			get32((const unsigned char *)&raw->e_hash), nlen,
			raw->e_name_index);
		fprintf(out, "value_offset = %zu (%04zo), value_inum = %u, "
			"value_size = %zu\n", voffs, vstart, vino, vsize);
		off += esize;
		fputs("name = ", out);
		if (off + nlen >= len)
			fputs("<runs off end>", out);
		else
			safe_print(out, buf + off, nlen);
		fputc('\n', out);
		if (vsize) {
			fputs("value = ", out);
			if (vino) {
				fprintf(out, "<ino %u>", vino);
			} else if (voffs >= len || vstart + vsize > len) {
				fputs("<runs off end>", out);
			} else if (mostly_printable(buf + vstart, vsize)) {
				safe_print(out, buf + vstart, vsize);
			} else {
				fputs("<hexdump>\n", out);
				e2sh_hexdump(out, buf + vstart, vsize);
			}
			fputc('\n', out);
		}
		fputc('\n', out);
		off += (nlen + 3) & ~(size_t)3;
	}
}

void e2sh_xattr_dump(FILE *out, const unsigned char *buf, size_t len,
		     int in_inode)
{
	__u32 magic = len >= 4 ? get32(buf) : 0;
	const struct ext2_ext_attr_header *h =
		(const struct ext2_ext_attr_header *)buf;

	if (in_inode) {
		fprintf(out, "magic = %08x, length = %zu, value_start =4 \n\n",
			magic, len);
		if (magic == EXT2_EXT_ATTR_MAGIC)
			xattr_entries(out, buf, 4, len, 4);
		return;
	}
	fprintf(out, "magic = %08x, length = %zu\n", magic, len);
	if (magic != EXT2_EXT_ATTR_MAGIC || len < sizeof(*h))
		return;
	fprintf(out, "refcount = %u, blocks = %u\n",
		get32((const unsigned char *)&h->h_refcount),
		get32((const unsigned char *)&h->h_blocks));
	fprintf(out, "hash = %08x, checksum = %08x\n",
		get32((const unsigned char *)&h->h_hash),
		get32((const unsigned char *)&h->h_checksum));
	fprintf(out, "reserved: %08x %08x %08x\n\n",
		get32((const unsigned char *)&h->h_reserved[0]),
		get32((const unsigned char *)&h->h_reserved[1]),
		get32((const unsigned char *)&h->h_reserved[2]));
	xattr_entries(out, buf, sizeof(*h), len, 0);
}
