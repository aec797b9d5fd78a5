/*
 * dump.c -- writing inodes out to the host: dump (one file) and rdump (a
 * tree), as debugfs does, but never overwriting what exists unless asked,
 * never following a host symlink, and never letting a name from the image
 * leave the output directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2c_int.h"

/* The unit contents are copied in. */
#define COPY_CHUNK (1U << 20)

/* ------------------------------------------------------------------ */
/* Owner, permissions, times                                           */
/* ------------------------------------------------------------------ */

struct perms {
	uid_t uid;
	gid_t gid;
	mode_t mode;
	struct timespec ts[2];	/* atime, mtime (futimens order) */
};

/* A time with its nanoseconds: the extra field's bits above the epoch
 * bits, when the inode stores them (0 otherwise, or if corrupt). */
static void xtime_ts(e2c_fs *fs, const struct ext2_inode *in, long long sec,
		     size_t extra_off, size_t extra_end, struct timespec *ts)
{
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = 0;
	if (e2c_inode_has_extra(fs, in, extra_end)) {
		__u32 extra = *(const __u32 *)((const char *)in + extra_off);

		if ((extra >> EXT4_EPOCH_BITS) < 1000000000U)
			ts->tv_nsec = extra >> EXT4_EPOCH_BITS;
	}
}

#define XTS(fs, in, f, ts)						\
	xtime_ts(fs, in, E2C_XTIME(fs, in, f),				\
		 offsetof(struct ext2_inode_large, i_##f##_extra),	\
		 E2C_EXTRA_END(i_##f##_extra), ts)

static void get_perms(e2c_fs *fs, const struct ext2_inode *in,
		      struct perms *p)
{
	p->uid = inode_uid(*in);
	p->gid = inode_gid(*in);
	/* Permission bits only, as debugfs: dumping an image as root must
	 * not make setuid files. */
	p->mode = in->i_mode & 0777;
	XTS(fs, in, atime, &p->ts[0]);
	XTS(fs, in, mtime, &p->ts[1]);
}

/* An unprivileged user cannot give files away: as cp -p, that is no
 * failure. */
static int chown_failed(void)
{
	return !(errno == EPERM && geteuid() != 0);
}

/* Set owner, then mode (chown may clear bits), then times on fd. */
static errcode_t set_perms(int fd, const struct perms *p)
{
	if (fchown(fd, p->uid, p->gid) && chown_failed())
		return errno;
	if (fchmod(fd, p->mode) || futimens(fd, p->ts))
		return errno;
	return 0;
}

/* The same for a symlink (no mode: Linux has none for them). */
static errcode_t set_link_perms(int dirfd, const char *name,
				const struct perms *p)
{
	if (fchownat(dirfd, name, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) &&
	    chown_failed())
		return errno;
	if (utimensat(dirfd, name, p->ts, AT_SYMLINK_NOFOLLOW))
		return errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Copying                                                             */
/* ------------------------------------------------------------------ */

static errcode_t write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The unit holes are left in: a run of this many zero bytes at this
 * alignment is skipped (lseek) rather than written. */
#define HOLE_UNIT 4096

/* n bytes at p to fd, leaving holes where whole units are zero (as cp
 * --sparse=always), so that a sparse file copies as one: a 1 TiB file
 * with 4 KiB of data does not fill the host's disk. */
static errcode_t write_sparse(int fd, const char *p, size_t n)
{
	static const char zeros[HOLE_UNIT];
	size_t i = 0, j, unit;
	errcode_t retval;

	while (i < n) {
		unit = n - i < HOLE_UNIT ? n - i : HOLE_UNIT;
		if (unit == HOLE_UNIT && !memcmp(p + i, zeros, unit)) {
			if (lseek(fd, unit, SEEK_CUR) < 0)
				return errno;
			i += unit;
			continue;
		}
		for (j = i + unit; j < n && (n - j < HOLE_UNIT ||
		     memcmp(p + j, zeros, HOLE_UNIT)); j += HOLE_UNIT)
			;
		if (j > n)
			j = n;
		retval = write_all(fd, p + i, j - i);
		if (retval)
			return retval;
		i = j;
	}
	return 0;
}

/* The whole content of f to fd; *on_host says which side failed. */
static errcode_t copy_out(e2c_file *f, int fd, int *on_host)
{
	char *buf = malloc(COPY_CHUNK);
	__u64 off = 0;
	size_t got;
	errcode_t retval = 0;

	*on_host = 0;
	if (!buf)
		return ENOMEM;
	for (;;) {
		retval = e2c_file_pread(f, off, buf, COPY_CHUNK, &got);
		if (retval || !got)
			break;
		retval = write_sparse(fd, buf, got);
		if (retval) {
			*on_host = 1;
			break;
		}
		off += got;
	}
	/* A hole at the end was skipped, not written: set the size. */
	if (!retval && ftruncate(fd, (off_t)off)) {
		retval = errno;
		*on_host = 1;
	}
	free(buf);
	return retval;
}

/* ------------------------------------------------------------------ */
/* dump                                                                */
/* ------------------------------------------------------------------ */

/* A new file beside out, named out.e2lua-XXXXXX, with the mode a plain
 * open(out, O_CREAT, 0666) would give. */
static int temp_beside(const char *out, char **tmp)
{
	mode_t mask = umask(022);
	int fd, err;

	umask(mask);
	*tmp = malloc(strlen(out) + sizeof(".e2lua-XXXXXX"));
	if (!*tmp) {
		errno = ENOMEM;
		return -1;
	}
	sprintf(*tmp, "%s.e2lua-XXXXXX", out);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0666 & ~mask) == 0)
		return fd;
	err = errno;
	unlink(*tmp);
	close(fd);
	errno = err;
	return -1;
}

errcode_t e2c_dump(e2c_fs *fs, ext2_ino_t ino, const struct ext2_inode *inode,
		   const char *out, unsigned int flags, int *on_host)
{
	struct ext2_inode *buf = malloc(e2c_inode_buf_size(fs));
	char *tmp = NULL;
	const char *made = NULL;	/* what to remove on failure */
	e2c_file *f = NULL;
	struct stat st;
	struct perms p;
	int fd = -1;
	errcode_t retval;

	*on_host = 0;
	if (!buf)
		return ENOMEM;
	if (inode) {
		memcpy(buf, inode, EXT2_INODE_SIZE(fs->h->super));
	} else {
		retval = e2c_read_inode(fs, ino, buf);
		if (retval)
			goto errout;
	}
	retval = e2c_file_open(fs, ino, buf, &f);
	if (retval)
		goto errout;
	*on_host = 1;
	if (flags & E2C_DUMP_FORCE) {
		if (lstat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
			retval = EISDIR;
			goto errout;
		}
		fd = temp_beside(out, &tmp);
		made = tmp;
	} else {
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno == EEXIST) {
			retval = E2C_ERR_EXISTS;
			goto errout;
		}
		made = out;
	}
	if (fd < 0) {
		made = NULL;
		retval = errno;
		goto errout;
	}
	retval = copy_out(f, fd, on_host);
	if (retval)
		goto errout;
	*on_host = 1;
	if (flags & E2C_DUMP_PRESERVE) {
		get_perms(fs, buf, &p);
		retval = set_perms(fd, &p);
		if (retval)
			goto errout;
	}
	retval = close(fd) ? errno : 0;
	fd = -1;
	if (!retval && tmp && rename(tmp, out))
		retval = errno;
errout:
	if (fd >= 0)
		close(fd);
	if (retval && made)
		unlink(made);
	free(tmp);
	e2c_file_close(f);
	free(buf);
	return retval;
}

/* ------------------------------------------------------------------ */
/* rdump                                                               */
/* ------------------------------------------------------------------ */

struct rdump {
	e2c_fs *fs;
	e2c_rdump_fail_fn fail;
	void *arg;
	struct e2c_rdump_totals *t;
	ext2fs_inode_bitmap seen;	/* directories entered */
	char *path;			/* host path of the current entry */
	size_t len, cap;
};

/* Append "/name" to r->path; returns the old length for path_pop. */
static errcode_t path_push(struct rdump *r, const char *name, size_t *old)
{
	size_t n = strlen(name);
	errcode_t retval = e2c_grow(&r->path, &r->cap, r->len + n + 2, 1);

	if (retval)
		return retval;
	*old = r->len;
	r->path[r->len++] = '/';
	memcpy(r->path + r->len, name, n + 1);
	r->len += n;
	return 0;
}

static void path_pop(struct rdump *r, size_t old)
{
	r->len = old;
	r->path[old] = 0;
}

static void report(struct rdump *r, errcode_t code)
{
	r->t->failed++;
	r->fail(r->path, code, r->arg);
}

/* Whether a directory entry's name can be created as is: not "." or "..",
 * no '/', no NUL before its end. */
static int safe_name(const struct e2c_dirent *d)
{
	return d->name_len > 0 && strlen(d->name) == d->name_len &&
	       !strchr(d->name, '/') && strcmp(d->name, ".") &&
	       strcmp(d->name, "..");
}

static errcode_t dump_entry(struct rdump *r, int dirfd, const char *name,
			    ext2_ino_t ino);

/* Every entry of directory ino into the host directory fd. */
static errcode_t dump_entries(struct rdump *r, int fd, ext2_ino_t ino)
{
	struct e2c_dirent *ents = NULL;
	size_t n = 0, i, old;
	char tag[16];			/* "<4294967295>" */
	errcode_t retval;

	retval = e2c_dir_list(r->fs, ino, &ents, &n);
	if (retval) {
		report(r, retval);
		return 0;
	}
	for (i = 0; i < n && !retval; i++) {
		const struct e2c_dirent *d = &ents[i];

		if (e2c_interrupted) {
			retval = E2C_ERR_INTERRUPTED;
			break;
		}
		if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
			continue;
		if (safe_name(d)) {
			retval = dump_entry(r, fd, d->name, d->ino);
			continue;
		}
		snprintf(tag, sizeof(tag), "<%u>", d->ino);
		retval = path_push(r, tag, &old);
		if (retval)
			break;
		report(r, E2C_ERR_UNSAFE_NAME);
		path_pop(r, old);
	}
	e2c_dir_free(ents, n);
	return retval;
}

static errcode_t dump_dir(struct rdump *r, int dirfd, const char *name,
			  ext2_ino_t ino, const struct perms *p)
{
	errcode_t retval;
	int fd;

	if (ext2fs_test_inode_bitmap2(r->seen, ino)) {
		report(r, E2C_ERR_DIR_LOOP);
		return 0;
	}
	ext2fs_mark_inode_bitmap2(r->seen, ino);
	/* 0700 until its entries are made (it may be read-only). */
	if (mkdirat(dirfd, name, 0700)) {
		report(r, errno);
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0) {
		report(r, errno);
		return 0;
	}
	r->t->dirs++;
	retval = dump_entries(r, fd, ino);
	if (!retval) {
		errcode_t err = set_perms(fd, p);

		if (err)
			report(r, err);
	}
	close(fd);
	return retval;
}

static void dump_regular(struct rdump *r, int dirfd, const char *name,
			 ext2_ino_t ino, struct ext2_inode *inode,
			 const struct perms *p)
{
	e2c_file *f = NULL;
	errcode_t retval;
	int fd, on_host;

	retval = e2c_file_open(r->fs, ino, inode, &f);
	if (retval) {
		report(r, retval);
		return;
	}
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0700);
	if (fd < 0) {
		report(r, errno);
		e2c_file_close(f);
		return;
	}
	retval = copy_out(f, fd, &on_host);
	if (!retval)
		retval = set_perms(fd, p);
	if (close(fd) && !retval)
		retval = errno;
	if (retval) {
		unlinkat(dirfd, name, 0);	/* no half-written file */
		report(r, retval);
	} else {
		r->t->files++;
	}
	e2c_file_close(f);
}

static void dump_symlink(struct rdump *r, int dirfd, const char *name,
			 ext2_ino_t ino, struct ext2_inode *inode,
			 const struct perms *p)
{
	__u64 size = EXT2_I_SIZE(inode);
	e2c_file *f = NULL;
	char *target = NULL;
	size_t got;
	errcode_t retval;

	if (size >= PATH_MAX) {
		retval = ENAMETOOLONG;
		goto out;
	}
	target = malloc(size + 1);
	if (!target) {
		retval = ENOMEM;
		goto out;
	}
	retval = e2c_file_open(r->fs, ino, inode, &f);
	if (!retval)
		retval = e2c_file_pread(f, 0, target, size, &got);
	if (retval)
		goto out;
	target[got] = 0;
	if (strlen(target) != got || !got) {
		retval = EINVAL;		/* a NUL in the target */
		goto out;
	}
	if (symlinkat(target, dirfd, name)) {
		retval = errno;
		goto out;
	}
	r->t->symlinks++;
	retval = set_link_perms(dirfd, name, p);
out:
	if (retval)
		report(r, retval);
	free(target);
	e2c_file_close(f);
}

static errcode_t dump_entry(struct rdump *r, int dirfd, const char *name,
			    ext2_ino_t ino)
{
	struct ext2_inode *inode = malloc(e2c_inode_buf_size(r->fs));
	struct perms p;
	size_t old;
	errcode_t retval;

	if (!inode)
		return ENOMEM;
	retval = path_push(r, name, &old);
	if (retval)
		goto out;
	retval = e2c_read_inode(r->fs, ino, inode);
	if (retval) {
		report(r, retval);
		retval = 0;
		goto pop;
	}
	get_perms(r->fs, inode, &p);
	if (LINUX_S_ISDIR(inode->i_mode))
		retval = dump_dir(r, dirfd, name, ino, &p);
	else if (LINUX_S_ISREG(inode->i_mode))
		dump_regular(r, dirfd, name, ino, inode, &p);
	else if (LINUX_S_ISLNK(inode->i_mode))
		dump_symlink(r, dirfd, name, ino, inode, &p);
	else
		r->t->skipped++;
pop:
	path_pop(r, old);
out:
	free(inode);
	return retval;
}

errcode_t e2c_rdump(e2c_fs *fs, ext2_ino_t ino, const char *name,
		    const char *outdir, e2c_rdump_fail_fn fail, void *arg,
		    struct e2c_rdump_totals *t)
{
	struct rdump r = { fs, fail, arg, t, NULL, NULL, 0, 0 };
	struct e2c_dirent d = { ino, 0, (unsigned int)strlen(name),
				(char *)name };
	errcode_t retval;
	int fd;

	memset(t, 0, sizeof(*t));
	if (*name && !safe_name(&d))
		return E2C_ERR_UNSAFE_NAME;
	fd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	retval = ext2fs_allocate_inode_bitmap(fs->h, "rdump: directories "
					      "entered", &r.seen);
	if (retval)
		goto out;
	r.len = strlen(outdir);
	while (r.len > 1 && outdir[r.len - 1] == '/')
		r.len--;			/* "out/" -> "out/a", not "out//a" */
	retval = e2c_grow(&r.path, &r.cap, r.len + 1, 1);
	if (retval)
		goto out;
	memcpy(r.path, outdir, r.len);
	r.path[r.len] = 0;
	if (r.len == 1 && r.path[0] == '/')
		r.len = 0;			/* "/" + "/a" */
	if (*name) {
		retval = dump_entry(&r, fd, name, ino);
	} else {
		ext2fs_mark_inode_bitmap2(r.seen, ino);
		retval = dump_entries(&r, fd, ino);
	}
out:
	if (r.seen)
		ext2fs_free_inode_bitmap(r.seen);
	free(r.path);
	close(fd);
	return retval;
}
