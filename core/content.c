/*
 * content.c -- reading an inode's data, and content checksums.
 *
 * Data comes from the map cursor's runs (core/map.c), read with large
 * io_channel reads straight into the caller's buffer, rather than through
 * ext2fs_file_read: that reads one block per call, and in 1.47.0 pads
 * inline data files to the size of the inline area and reads a fast
 * symlink's text as a block number.  Every pointer is validated by the
 * cursor.  Holes and unwritten extents read as zeros; nothing past i_size
 * is read.  Inline data comes from ext2fs_inline_data_get, a fast
 * symlink's target from i_block.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "e2c_int.h"

enum source {
	SRC_MAP,	/* a block map or extent tree */
	SRC_MEM,	/* inline data or a fast symlink's text, in mem */
	SRC_NONE	/* no data (devices, fifos, sockets): zeros */
};

/* The most blocks one io_channel read asks for. */
#define MAX_READ_BLOCKS 4096

struct e2c_file {
	e2c_fs *fs;
	ext2_ino_t ino;
	__u64 size;
	enum source src;
	char *mem;		/* SRC_MEM: the bytes */
	size_t mem_len;		/* ... how many (zeros follow up to size) */
	/* SRC_MAP */
	struct ext2_inode *inode;	/* private copy the cursor walks */
	e2c_map *map;
	blk64_t known;		/* blocks below the cursor's position: the
				 * map of [known, run.lblk) is a hole */
	struct e2c_piece run;	/* the current run (have_run) */
	int have_run;
	int ended;		/* no run from known on: hole to EOF */
	char *bounce;		/* one block, for partial-block reads */
	blk64_t bounce_lblk;
	int bounce_ok;
};

errcode_t e2c_file_open(e2c_fs *fs, ext2_ino_t ino,
			const struct ext2_inode *inode, e2c_file **ret)
{
	size_t isz = e2c_inode_buf_size(fs);
	struct e2c_file *f;
	errcode_t retval;

	f = calloc(1, sizeof(*f));
	if (!f)
		return ENOMEM;
	f->fs = fs;
	f->ino = ino;
	f->inode = malloc(isz);
	if (!f->inode) {
		retval = ENOMEM;
		goto errout;
	}
	if (inode) {
		memset(f->inode, 0, isz);
		memcpy(f->inode, inode, EXT2_INODE_SIZE(fs->h->super));
	} else {
		retval = e2c_read_inode(fs, ino, f->inode);
		if (retval)
			goto errout;
	}
	f->size = EXT2_I_SIZE(f->inode);
	if (f->inode->i_flags & EXT4_INLINE_DATA_FL) {
		size_t n;

		f->src = SRC_MEM;
		retval = ext2fs_inline_data_size(fs->h, ino, &n);
		if (retval)
			goto errout;
		f->mem = malloc(n ? n : 1);
		if (!f->mem) {
			retval = ENOMEM;
			goto errout;
		}
		retval = ext2fs_inline_data_get(fs->h, ino, f->inode, f->mem,
						&n);
		if (retval)
			goto errout;
		f->mem_len = n;
	} else if (e2c_inode_has_blocks(fs, f->inode)) {
		f->src = SRC_MAP;
		f->bounce = malloc(fs->h->blocksize);
		if (!f->bounce) {
			retval = ENOMEM;
			goto errout;
		}
		retval = e2c_map_open(fs, ino, f->inode, &f->map);
		if (retval)
			goto errout;
	} else if (LINUX_S_ISLNK(f->inode->i_mode)) {
		f->src = SRC_MEM;	/* a fast symlink: the text is i_block */
		f->mem_len = sizeof(f->inode->i_block);
		f->mem = malloc(f->mem_len);
		if (!f->mem) {
			retval = ENOMEM;
			goto errout;
		}
		memcpy(f->mem, f->inode->i_block, f->mem_len);
	} else {
		f->src = SRC_NONE;
	}
	*ret = f;
	return 0;
errout:
	e2c_file_close(f);
	return retval;
}

__u64 e2c_file_size(e2c_file *f)
{
	return f->size;
}

void e2c_file_close(e2c_file *f)
{
	if (!f)
		return;
	e2c_map_close(f->map);
	free(f->bounce);
	free(f->mem);
	free(f->inode);
	free(f);
}

/* Start the walk of the map again (a read before the cursor). */
static errcode_t rewind_map(struct e2c_file *f)
{
	e2c_map_close(f->map);
	f->map = NULL;
	f->known = 0;
	f->have_run = 0;
	f->ended = 0;
	return e2c_map_open(f->fs, f->ino, f->inode, &f->map);
}

/* Move the cursor so that the current run ends after lblk, or to the end
 * (f->ended) when no run does. */
static errcode_t seek_run(struct e2c_file *f, blk64_t lblk)
{
	errcode_t retval;
	int got;

	if (lblk < f->known) {
		retval = rewind_map(f);
		if (retval)
			return retval;
	}
	while (!f->ended &&
	       (!f->have_run || lblk >= f->run.lblk + f->run.len)) {
		if (f->have_run)
			f->known = f->run.lblk + f->run.len;
		retval = e2c_map_next_run(f->map, &f->run, &got);
		if (retval)
			return retval;
		f->have_run = got;
		f->ended = !got;
	}
	return 0;
}

/* Read from a map: up to len bytes at off (below f->size) into buf,
 * stopping at the end of a hole or a run; *n says how many. */
static errcode_t map_read(struct e2c_file *f, __u64 off, char *buf,
			  size_t len, size_t *n)
{
	unsigned int bs = f->fs->h->blocksize;
	blk64_t lblk = off / bs, nblk;
	unsigned int boff = off % bs;
	__u64 end;
	errcode_t retval;

	retval = seek_run(f, lblk);
	if (retval)
		return retval;
	if (f->ended || lblk < f->run.lblk) {		/* a hole */
		end = f->ended ? f->size : f->run.lblk * bs;
		*n = end - off < len ? end - off : len;
		memset(buf, 0, *n);
		return 0;
	}
	end = (f->run.lblk + f->run.len) * bs;
	if (end - off < len)
		len = end - off;
	if (f->run.flags & E2C_UNINIT) {		/* unwritten: zeros */
		*n = len;
		memset(buf, 0, len);
		return 0;
	}
	if (boff || len < bs) {				/* part of a block */
		if (!f->bounce_ok || f->bounce_lblk != lblk) {
			f->bounce_ok = 0;
			retval = io_channel_read_blk64(f->fs->h->io,
					f->run.pblk + (lblk - f->run.lblk),
					1, f->bounce);
			if (retval)
				return retval;
			f->bounce_ok = 1;
			f->bounce_lblk = lblk;
		}
		*n = bs - boff < len ? bs - boff : len;
		memcpy(buf, f->bounce + boff, *n);
		return 0;
	}
	nblk = len / bs;
	if (nblk > MAX_READ_BLOCKS)
		nblk = MAX_READ_BLOCKS;
	retval = io_channel_read_blk64(f->fs->h->io,
				       f->run.pblk + (lblk - f->run.lblk),
				       (int)nblk, buf);
	if (retval)
		return retval;
	*n = nblk * bs;
	return 0;
}

errcode_t e2c_file_pread(e2c_file *f, __u64 off, void *buf, size_t len,
			 size_t *got)
{
	char *p = buf;
	size_t n;
	errcode_t retval;

	*got = 0;
	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = f->size - off;
	while (len > 0) {
		if (e2c_interrupted)
			return E2C_ERR_INTERRUPTED;
		if (f->src == SRC_MAP) {
			retval = map_read(f, off, p, len, &n);
			if (retval)
				return retval;
		} else if (off < f->mem_len) {		/* SRC_MEM */
			n = f->mem_len - off < len ? f->mem_len - off : len;
			memcpy(p, f->mem + off, n);
		} else {		/* past the stored bytes, or no data */
			n = len;
			memset(p, 0, n);
		}
		off += n;
		p += n;
		len -= n;
		*got += n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Checksums                                                           */
/* ------------------------------------------------------------------ */

/* The unit checksums read in. */
#define SUM_CHUNK (1U << 20)

/* libcrypto is loaded the first time a digest or base64 needs it, not
 * linked: its relocations alone made 1.4 MiB of the 5.5 MiB e2lua took to
 * start (doc/bench.md, issue 12), and most runs hash nothing or with
 * libxxhash.  The functions come through this table, typed by the
 * headers the build found. */
#define CRYPTO_FUNCS(X) X(EVP_MD_fetch) X(EVP_MD_get_flags) \
	X(EVP_MD_get_size) X(EVP_MD_CTX_new) X(EVP_DigestInit_ex) \
	X(EVP_DigestUpdate) X(EVP_DigestFinal_ex) X(EVP_MD_CTX_free) \
	X(EVP_MD_free) X(EVP_EncodeBlock)
static struct {
#define X(f) __typeof__(f) *f;
	CRYPTO_FUNCS(X)
#undef X
} crypto;

/* 0, or E2C_ERR_NO_CRYPTO (every time after the first failure). */
static errcode_t crypto_load(void)
{
	static int tried;
	static errcode_t retval;
	void *lib;

	if (tried)
		return retval;
	tried = 1;
	retval = E2C_ERR_NO_CRYPTO;
	lib = dlopen(E2C_CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return retval;
#define X(f) if (!(crypto.f = (__typeof__(f) *)dlsym(lib, #f))) \
		goto fail;
	CRYPTO_FUNCS(X)
#undef X
	return retval = 0;
fail:
	memset(&crypto, 0, sizeof(crypto));
	dlclose(lib);
	return retval;
}

errcode_t e2c_base64(const void *in, size_t len, char *out, size_t *outlen)
{
	errcode_t retval = crypto_load();
	int n;

	if (retval)
		return retval;
	if (len > (size_t)INT_MAX / 4 * 3)
		return EOVERFLOW;
	n = crypto.EVP_EncodeBlock((unsigned char *)out,
				   (const unsigned char *)in, (int)len);
	if (n < 0)
		return E2C_ERR_DIGEST;
	*outlen = (size_t)n;
	return 0;
}

enum hash_kind { H_EVP, H_XXH64, H_XXH128 };

struct hasher {
	enum hash_kind kind;
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	XXH64_state_t *x64;
	XXH3_state_t *x128;
};

static void hash_free(struct hasher *h);

/* Which algorithm name is: a digest an OpenSSL provider implements (not
 * the variable-length XOFs), or xxh64 / xxh128 of libxxhash.  hash_free
 * afterwards, whatever it returns. */
static errcode_t hash_pick(const char *algo, struct hasher *h)
{
	memset(h, 0, sizeof(*h));
	if (strcmp(algo, "xxh64") == 0) {
		h->kind = H_XXH64;
		return 0;
	}
	if (strcmp(algo, "xxh128") == 0) {
		h->kind = H_XXH128;
		return 0;
	}
	h->kind = H_EVP;
	if (crypto_load())
		return E2C_ERR_NO_CRYPTO;
	/* Fetched, not looked up by name: a known name whose provider is not
	 * loaded (md4 needs "legacy") is no algorithm here. */
	h->md = crypto.EVP_MD_fetch(NULL, algo, NULL);
	if (!h->md || (crypto.EVP_MD_get_flags(h->md) & EVP_MD_FLAG_XOF) ||
	    crypto.EVP_MD_get_size(h->md) <= 0 ||
	    crypto.EVP_MD_get_size(h->md) > E2C_DIGEST_MAX)
		return E2C_ERR_UNKNOWN_ALGO;
	return 0;
}

errcode_t e2c_digest_size(const char *algo, size_t *len)
{
	struct hasher h;
	errcode_t retval = hash_pick(algo, &h);

	if (!retval)
		*len = h.kind == H_XXH64 ? 8 : h.kind == H_XXH128 ? 16 :
			(size_t)crypto.EVP_MD_get_size(h.md);
	hash_free(&h);
	return retval;
}

static errcode_t hash_begin(struct hasher *h)
{
	switch (h->kind) {
	case H_XXH64:
		h->x64 = XXH64_createState();
		if (!h->x64 || XXH64_reset(h->x64, 0) != XXH_OK)
			return ENOMEM;
		return 0;
	case H_XXH128:
		h->x128 = XXH3_createState();
		if (!h->x128 || XXH3_128bits_reset(h->x128) != XXH_OK)
			return ENOMEM;
		return 0;
	default:
		h->ctx = crypto.EVP_MD_CTX_new();
		if (!h->ctx || !crypto.EVP_DigestInit_ex(h->ctx, h->md, NULL))
			return E2C_ERR_DIGEST;
		return 0;
	}
}

static errcode_t hash_update(struct hasher *h, const void *p, size_t n)
{
	switch (h->kind) {
	case H_XXH64:
		return XXH64_update(h->x64, p, n) == XXH_OK ? 0 : E2C_ERR_DIGEST;
	case H_XXH128:
		return XXH3_128bits_update(h->x128, p, n) == XXH_OK ?
			0 : E2C_ERR_DIGEST;
	default:
		return crypto.EVP_DigestUpdate(h->ctx, p, n) ? 0 : E2C_ERR_DIGEST;
	}
}

/* The digest in the byte order the *sum tools print (xxhsum prints the
 * canonical, big-endian form). */
static errcode_t hash_end(struct hasher *h, unsigned char *md, size_t *len)
{
	unsigned int n;

	switch (h->kind) {
	case H_XXH64: {
		XXH64_canonical_t c;

		XXH64_canonicalFromHash(&c, XXH64_digest(h->x64));
		memcpy(md, c.digest, sizeof(c.digest));
		*len = sizeof(c.digest);
		return 0;
	}
	case H_XXH128: {
		XXH128_canonical_t c;

		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->x128));
		memcpy(md, c.digest, sizeof(c.digest));
		*len = sizeof(c.digest);
		return 0;
	}
	default:
		if (!crypto.EVP_DigestFinal_ex(h->ctx, md, &n))
			return E2C_ERR_DIGEST;
		*len = n;
		return 0;
	}
}

static void hash_free(struct hasher *h)
{
	XXH64_freeState(h->x64);
	XXH3_freeState(h->x128);
	if (h->ctx)		/* set only with libcrypto loaded */
		crypto.EVP_MD_CTX_free(h->ctx);
	if (h->md)
		crypto.EVP_MD_free(h->md);
}

errcode_t e2c_file_checksum(e2c_file *f, const char *algo, unsigned char *md,
			    size_t *len)
{
	struct hasher h;
	char *buf = NULL;
	__u64 off = 0;
	size_t got;
	errcode_t retval;

	retval = hash_pick(algo, &h);
	if (!retval)
		retval = hash_begin(&h);
	if (retval)
		goto errout;
	buf = malloc(SUM_CHUNK);
	if (!buf) {
		retval = ENOMEM;
		goto errout;
	}
	for (;;) {
		retval = e2c_file_pread(f, off, buf, SUM_CHUNK, &got);
		if (retval)
			goto errout;
		if (!got)
			break;
		retval = hash_update(&h, buf, got);
		if (retval)
			goto errout;
		off += got;
	}
	retval = hash_end(&h, md, len);
errout:
	free(buf);
	hash_free(&h);
	return retval;
}

errcode_t e2c_checksum_buf(const char *algo, const void *buf, size_t n,
			   unsigned char *md, size_t *len)
{
	struct hasher h;
	errcode_t retval;

	retval = hash_pick(algo, &h);
	if (!retval)
		retval = hash_begin(&h);
	if (!retval)
		retval = hash_update(&h, buf, n);
	if (!retval)
		retval = hash_end(&h, md, len);
	hash_free(&h);
	return retval;
}
