/*
 * part.c -- partitions of whole-disk images (MBR or GPT, as libblkid
 * reads them), and what filesystem each one holds (libblkid's superblock
 * probing at the partition's offset).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkid/blkid.h>

#include "e2c_int.h"

/* Copy blkid's value of name (or "") into buf. */
static void lookup(blkid_probe pr, const char *name, char *buf, size_t len)
{
	const char *v;

	buf[0] = 0;
	if (!blkid_probe_lookup_value(pr, name, &v, NULL))
		snprintf(buf, len, "%s", v);
}

/* The filesystem in bytes off..off+size of the open image fd. */
static void probe_fs(int fd, struct e2c_part *p)
{
	blkid_probe pr = blkid_new_probe();

	if (!pr)
		return;
	if (!blkid_probe_set_device(pr, fd, (blkid_loff_t)p->start,
				    (blkid_loff_t)p->size) &&
	    !blkid_probe_enable_superblocks(pr, 1) &&
	    !blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL |
					       BLKID_SUBLKS_UUID |
					       BLKID_SUBLKS_TYPE) &&
	    !blkid_probe_enable_partitions(pr, 0) &&
	    blkid_do_safeprobe(pr) == 0) {
		lookup(pr, "TYPE", p->fstype, sizeof(p->fstype));
		lookup(pr, "LABEL", p->label, sizeof(p->label));
		lookup(pr, "UUID", p->uuid, sizeof(p->uuid));
	}
	blkid_free_probe(pr);
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

errcode_t e2c_part_list(const char *path, struct e2c_parttable **ret)
{
	struct e2c_parttable *t = NULL;
	blkid_probe pr = NULL;
	blkid_partlist ls;
	errcode_t retval;
	int fd, i, n;

	*ret = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	pr = blkid_new_probe();
	if (!pr) {
		retval = ENOMEM;
		goto errout;
	}
	if (blkid_probe_set_device(pr, fd, 0, 0) ||
	    blkid_probe_enable_superblocks(pr, 0) ||
	    blkid_probe_enable_partitions(pr, 1) ||
	    blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS)) {
		retval = EIO;
		goto errout;
	}
	ls = blkid_probe_get_partitions(pr);
	if (!ls || !blkid_partlist_get_table(ls)) {
		retval = E2C_ERR_NO_PARTITIONS;
		goto errout;
	}
	n = blkid_partlist_numof_partitions(ls);
	t = calloc(1, sizeof(*t) + (n > 0 ? n : 0) * sizeof(t->parts[0]));
	if (!t) {
		retval = ENOMEM;
		goto errout;
	}
	copy(t->scheme, sizeof(t->scheme),
	     blkid_parttable_get_type(blkid_partlist_get_table(ls)));
	copy(t->id, sizeof(t->id),
	     blkid_parttable_get_id(blkid_partlist_get_table(ls)));
	for (i = 0; i < n; i++) {
		blkid_partition par = blkid_partlist_get_partition(ls, i);
		struct e2c_part *p = &t->parts[t->count];

		if (!par)
			continue;
		/* libblkid counts in 512-byte sectors whatever the disk's */
		p->number = blkid_partition_get_partno(par);
		p->start = (unsigned long long)blkid_partition_get_start(par) * 512;
		p->size = (unsigned long long)blkid_partition_get_size(par) * 512;
		p->mbr_type = blkid_partition_get_type(par);
		copy(p->type_guid, sizeof(p->type_guid),
		     blkid_partition_get_type_string(par));
		copy(p->name, sizeof(p->name), blkid_partition_get_name(par));
		copy(p->part_uuid, sizeof(p->part_uuid),
		     blkid_partition_get_uuid(par));
		p->extended = blkid_partition_is_extended(par);
		p->logical = blkid_partition_is_logical(par);
		if (!p->extended)
			probe_fs(fd, p);
		t->count++;
	}
	*ret = t;
	retval = 0;
errout:
	if (pr)
		blkid_free_probe(pr);
	close(fd);
	return retval;
}

int e2c_part_is_ext(const struct e2c_part *p)
{
	return !strcmp(p->fstype, "ext2") || !strcmp(p->fstype, "ext3") ||
	       !strcmp(p->fstype, "ext4") || !strcmp(p->fstype, "ext4dev");
}

errcode_t e2c_part_find(const char *path, int number, struct e2c_part *ret)
{
	struct e2c_parttable *t;
	errcode_t retval;
	size_t i;

	retval = e2c_part_list(path, &t);
	if (retval)
		return retval;
	retval = E2C_ERR_PART_RANGE;
	for (i = 0; i < t->count; i++) {
		if (t->parts[i].number != number)
			continue;
		*ret = t->parts[i];
		retval = e2c_part_is_ext(ret) ? 0 : E2C_ERR_PART_NOT_EXT;
		break;
	}
	free(t);
	return retval;
}
