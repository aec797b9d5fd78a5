/*
 * effects.c -- what a commit does to the filesystem besides converting the
 * inodes the user named: the features it turns on or off, the backup
 * superblocks it rewrites, the state it leaves on disk while it runs.
 *
 * The one place that decides it: e2c_tx_commit applies e2c_tx_effects,
 * and every plan, dry run, pending listing and commit report describes
 * the same struct with e2c_effects_line, so what is announced is what is
 * written.  What every commit does whatever it holds (s_wtime, bitmaps,
 * descriptors and their checksums, ...) is listed in doc/migration.md.
 */
#include <stdio.h>
#include <string.h>

#include "e2c_int.h"

/* The features a write may change: where their bit lives, and what the
 * change means to the people who use the filesystem. */
static const struct feature {
	const char *name;	/* as e2p and tune2fs -O name it */
	int word;		/* 0 compat, 1 incompat, 2 ro_compat */
	__u32 mask;
	const char *on, *off;	/* what turning it on, off means */
} features[E2C_FEATURES_] = {
	[E2C_FEATURE_EXTENT] = {
		"extent", 1, EXT3_FEATURE_INCOMPAT_EXTENTS,
		("kernels without ext4 support and boot loaders that read "
		 "only ext3 cannot mount or read a filesystem that has it"),
		("kernels and boot loaders without extent support can read "
		 "every file again (other ext4 features the filesystem has "
		 "may still stop them)"),
	},
};

static __u32 *feature_word(struct ext2_super_block *sb, int word)
{
	return word == 0 ? &sb->s_feature_compat :
	       word == 1 ? &sb->s_feature_incompat : &sb->s_feature_ro_compat;
}

const char *e2c_feature_name(enum e2c_feature f)
{
	return (unsigned)f < E2C_FEATURES_ ? features[f].name : NULL;
}

int e2c_feature_by_name(const char *name)
{
	int f;

	for (f = 0; f < E2C_FEATURES_; f++)
		if (strcmp(features[f].name, name) == 0)
			return f;
	return -1;
}

/* Groups other than 0 with a superblock: the backups ext2fs_flush
 * rewrites when EXT2_FLAG_MASTER_SB_ONLY is off (counted once). */
static dgrp_t backup_supers(e2c_fs *fs)
{
	dgrp_t g, n = 0;

	if (!fs->backups_known) {
		for (g = 1; g < fs->h->group_desc_count; g++)
			n += ext2fs_bg_has_super(fs->h, g) != 0;
		fs->backups = n;
		fs->backups_known = 1;
	}
	return fs->backups;
}

void e2c_effects_of(e2c_fs *fs, size_t inodes, struct e2c_effects *ef)
{
	struct ext2_super_block *sb = fs->h->super;

	memset(ef, 0, sizeof(*ef));
	if (!inodes)
		return;			/* nothing is written at all */
	/* An extent-mapped inode on a filesystem without the feature is
	 * one e2fsck clears and the kernel refuses: on before any inode
	 * uses it. */
	if (!ext2fs_has_feature_extents(sb))
		ef->features_on |= 1u << E2C_FEATURE_EXTENT;
	/* A backup with the old feature set would make e2fsck, recovering
	 * from it, undo the change (clear every migrated inode). */
	if (ef->features_on || ef->features_off)
		ef->backups = backup_supers(fs);
	ef->not_clean = 1;
}

void e2c_effects_clear(e2c_fs *fs, unsigned bits, struct e2c_effects *ef)
{
	struct ext2_super_block *sb = fs->h->super;
	int f;

	for (f = 0; f < E2C_FEATURES_; f++)
		if ((bits & (1u << f)) &&
		    (*feature_word(sb, features[f].word) & features[f].mask))
			ef->features_off |= 1u << f;
	if (ef->features_off) {
		ef->backups = backup_supers(fs);
		ef->not_clean = 1;
	}
}

void e2c_effects_apply(const struct e2c_effects *ef,
		       struct ext2_super_block *sb)
{
	int f;

	for (f = 0; f < E2C_FEATURES_; f++) {
		__u32 *w = feature_word(sb, features[f].word);

		if (ef->features_on & (1u << f))
			*w |= features[f].mask;
		if (ef->features_off & (1u << f))
			*w &= ~features[f].mask;
	}
}

/* "will be turned on", "would be turned on", "turned on". */
static const char *tensed(enum e2c_tense tense)
{
	return tense == E2C_WILL ? "will be " :
	       tense == E2C_WOULD ? "would be " : "";
}

int e2c_effects_line(const struct e2c_effects *ef, enum e2c_tense tense,
		     size_t i, char *buf, size_t size)
{
	int f, on;

	/* Each feature turned on, then each turned off, then backups. */
	for (on = 1; on >= 0; on--)
		for (f = 0; f < E2C_FEATURES_; f++) {
			if (!((on ? ef->features_on : ef->features_off) &
			      (1u << f)) || i--)
				continue;
			snprintf(buf, size, "feature: %s %sturned %s: %s",
				 features[f].name, tensed(tense),
				 on ? "on" : "off",
				 on ? features[f].on : features[f].off);
			return 1;
		}
	if (ef->backups && !i--) {
		snprintf(buf, size, "backups: %lu backup superblock%s %s"
			 "rewritten to carry the new feature set",
			 (unsigned long)ef->backups,
			 ef->backups == 1 ? "" : "s", tensed(tense));
		return 1;
	}
	if (ef->moved && !i--) {
		snprintf(buf, size, "moved: %llu data block%s %scopied to new "
			 "blocks, the old ones %sfreed after the inodes %s "
			 "to the copies", (unsigned long long)ef->moved,
			 ef->moved == 1 ? "" : "s",
			 tense == E2C_DONE ? "were " : tensed(tense),
			 tense == E2C_DONE ? "were " : tensed(tense),
			 tense == E2C_DONE ? "switched" : "switch");
		return 1;
	}
	return 0;
}
