/*
 * layout.c -- where a relocated file's data goes: its extents, in logical
 * order, poured into the free ranges chosen for it (core/reloc.c), one
 * after another.  Pure: no filesystem, so the C unit tests check it on
 * made-up extents.
 *
 * Holes stay holes: the data islands (logically contiguous stretches of
 * the same written state) are placed back to back physically, so a hole
 * costs an extent boundary and no block.  A move never crosses a source
 * extent or a destination range; the new extents merge moves that
 * continue each other logically and physically with the same written
 * state, up to the length limit of their kind (32768 initialized, 32767
 * uninitialized blocks).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

blk64_t e2c_layout_ideal(const struct ext3_extent *src, size_t n)
{
	blk64_t lblk, pblk, len, ilblk = 0, ilen = 0, ideal = 0;
	unsigned int flags, iflags = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		if (i < n) {
			e2c_ext_get(&src[i], &lblk, &pblk, &len, &flags);
			if (ilen && lblk == ilblk + ilen && flags == iflags) {
				ilen += len;
				continue;
			}
		}
		if (ilen)
			ideal += (ilen + E2C_EXT_MAX(iflags) - 1) /
				 E2C_EXT_MAX(iflags);
		if (i < n) {
			ilblk = lblk;
			ilen = len;
			iflags = flags;
		}
	}
	return ideal;
}

/* Append the new extent for move m to out, merged into the last one when
 * it continues it. */
static errcode_t add_new(const struct e2c_move *m, struct ext3_extent **out,
			 size_t *nout, size_t *cap, blk64_t *runs)
{
	blk64_t lblk, pblk, len, off = 0, take;
	unsigned int flags;
	errcode_t retval;

	if (*nout) {
		e2c_ext_get(&(*out)[*nout - 1], &lblk, &pblk, &len, &flags);
		if (lblk + len == m->lblk && pblk + len == m->dst &&
		    flags == m->flags) {
			take = E2C_EXT_MAX(flags) - len;
			if (take > m->len)
				take = m->len;
			e2c_ext_put(&(*out)[*nout - 1], lblk, pblk, len + take,
				    flags);
			off = take;
		} else {
			(*runs)++;
		}
	} else {
		(*runs)++;
	}
	while (off < m->len) {
		take = m->len - off;
		if (take > E2C_EXT_MAX(m->flags))
			take = E2C_EXT_MAX(m->flags);
		retval = e2c_grow(out, cap, *nout + 1, sizeof(**out));
		if (retval)
			return retval;
		e2c_ext_put(&(*out)[(*nout)++], m->lblk + off, m->dst + off,
			    take, m->flags);
		off += take;
	}
	return 0;
}

errcode_t e2c_layout(const struct ext3_extent *src, size_t n,
		     const struct e2c_blkrange *dst, size_t ndst,
		     struct e2c_layout *l)
{
	blk64_t lblk, pblk, len, off, used = 0, take;
	unsigned int flags;
	size_t i, d = 0, mcap = 0, ecap = 0;
	errcode_t retval = 0;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < n && !retval; i++) {
		e2c_ext_get(&src[i], &lblk, &pblk, &len, &flags);
		for (off = 0; off < len && !retval; off += take) {
			struct e2c_move *m;

			while (d < ndst && used == dst[d].len) {
				d++;
				used = 0;
			}
			if (d == ndst) {
				retval = EXT2_ET_BLOCK_ALLOC_FAIL;
				break;
			}
			take = len - off;
			if (take > dst[d].len - used)
				take = dst[d].len - used;
			retval = e2c_grow(&l->moves, &mcap, l->nmoves + 1,
					  sizeof(*l->moves));
			if (retval)
				break;
			m = &l->moves[l->nmoves++];
			m->lblk = lblk + off;
			m->src = pblk + off;
			m->dst = dst[d].start + used;
			m->len = take;
			m->flags = flags;
			used += take;
			if (!(flags & E2C_UNINIT))
				l->copy_blocks += take;
			retval = add_new(m, &l->ext, &l->next, &ecap, &l->runs);
		}
	}
	if (retval)
		e2c_layout_free(l);
	return retval;
}

void e2c_layout_free(struct e2c_layout *l)
{
	free(l->moves);
	free(l->ext);
	memset(l, 0, sizeof(*l));
}
