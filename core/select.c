/*
 * select.c -- which inodes a migration policy takes: criteria on inode
 * fields and on the plan, an order, and budgets, applied in C so that a
 * run over every inode costs one walk of every map and no Lua per inode.
 *
 * Inodes come from e2c_select_scan (the whole inode table) or one at a
 * time from e2c_select_offer (a policy's own walk).  Each is planned;
 * unordered, what passes goes straight to the output (budgets checked as
 * it comes); ordered, the candidates are kept (only the N + 1 first in
 * the order under --max-files N) and e2c_select_finish sorts them and
 * applies the budgets.  The caller stages the output (e2c_select_stage).
 *
 * A scan that starts before the owners map exists (core/owners.c) builds
 * it in the same walk, planning without the shared-block check, and
 * starts over in the rare case that the finished map shows a block
 * mapped twice: the one walk is most of a migration's reading.  On a
 * writable filesystem a selection fails where a write would be refused:
 * bitmaps that disagree with the maps (e2c_fs_check_bitmaps), so a dry
 * run says so too.
 *
 * Free space is modelled as the commits will see it: an inode whose index
 * blocks do not fit in what is free when it would be staged is skipped
 * (E2C_ERR_SKIP_NO_SPACE), and the run goes on.  The indirect blocks a
 * batch frees are free once it is committed, so the model cuts batches
 * where staging will (e2c_criteria.batch, e2c_tx_full).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "e2c_int.h"

/* What staging needs of a candidate, kept from the walk that planned it
 * (the N + 1 kept under --max-files N only: staging them then walks
 * nothing again). */
struct kept {
	struct e2c_plan plan;
	struct e2c_collect c;
};

struct cand {
	ext2_ino_t ino;
	unsigned type;			/* E2C_TYPE_*: the totals by type */
	__u64 key;			/* i_size or runs, by the order */
	blk64_t data_blocks, extents, index_blocks, meta_freed;
	long long used_delta;
	struct kept *kept;		/* or NULL */
};

static void kept_free(struct kept *k)
{
	if (!k)
		return;
	e2c_collect_free(&k->c);
	free(k);
}

struct e2c_select {
	e2c_fs *fs;
	struct e2c_criteria crit;
	struct ext2_inode *inode;	/* buffer */
	e2c_scan *scan;			/* an e2c_select_scan under way */
	struct e2c_owners *build;	/* that scan builds the owners map:
					 * the build's context */
	ext2fs_inode_bitmap offered;	/* e2c_select_offer: each once */
	struct cand *cands;		/* ordered: candidates (a heap
					 * under max_files); after finish,
					 * sorted, out[i] = cands[i] for
					 * the nout admitted */
	size_t ncands, cands_cap;
	int finished;
	/* What to stage, in order (nout of them, taken staged): ordered,
	 * cands[0..nout); else these runs of consecutive inodes, as a scan
	 * selects in inode order: a few runs instead of 4 bytes an inode
	 * (1 MiB at 200k inodes). */
	struct out_run {
		ext2_ino_t first;
		__u32 n;
	} *runs;
	size_t nruns, runs_cap;
	size_t nout, taken;
	size_t take_run;		/* unordered: the next to take is */
	__u32 take_off;			/* runs[take_run].first + take_off */
	ext2_ino_t *selected;		/* e2c_select_selected's copy */
	size_t selected_cap;
	struct e2c_plan *log;		/* with crit.log: every decision */
	size_t nlog, log_cap;
	struct e2c_select_totals t;
	struct e2c_skip_count *skips;
	size_t nskips, skips_cap;
	int selecting;			/* 0 once a budget stopped the run */
	e2c_tx *tx;			/* staging into it as selected */
	e2c_tx *scan_tx;		/* the tx given to this scan */
	unsigned long scan_gen;		/* ... its e2c_tx_generation */
	size_t tx_max;			/* ... to hold at most this many */
	ext2_ino_t stage_failed;	/* the inode staging failed on */
	struct e2c_collect c;		/* the runs of the inode planned */
	int collected;			/* ... if it collected them */
	/* The free-space model: blocks free when the batch being filled
	 * began, and that batch so far (as a tx counts it). */
	blk64_t model_free;
	size_t batch_inodes, batch_kept;
	blk64_t batch_index, batch_freed;
};



static void drop_cands(e2c_select *s)
{
	size_t i;

	for (i = 0; i < s->ncands; i++)
		kept_free(s->cands[i].kept);
	s->ncands = 0;
}

static void reset(e2c_select *s)
{
	drop_cands(s);
	s->finished = 0;
	s->nout = s->taken = s->nlog = s->nskips = 0;
	s->nruns = s->take_run = 0;
	s->take_off = 0;
	memset(&s->t, 0, sizeof(s->t));
	s->selecting = 1;
	s->model_free = ext2fs_free_blocks_count(s->fs->h->super);
	s->batch_inodes = s->batch_kept = 0;
	s->batch_index = s->batch_freed = 0;
}

/* The blocks free for the next inode's index blocks, in the model. */
static blk64_t model_avail(const e2c_select *s)
{
	return s->model_free > s->batch_index ?
	       s->model_free - s->batch_index : 0;
}

/* Candidate k joins the batch; a batch staging would commit now (its
 * count, or a full tx: e2c_tx_full's bounds) frees its indirect blocks. */
static void model_take(e2c_select *s, const struct cand *k)
{
	s->batch_inodes++;
	s->batch_kept += k->index_blocks || k->meta_freed;
	s->batch_index += k->index_blocks;
	s->batch_freed += k->meta_freed;
	if ((s->crit.batch && s->batch_inodes >= s->crit.batch) ||
	    s->batch_kept >= E2C_TX_MAX_KEPT ||
	    s->batch_index >= E2C_TX_MAX_INDEX) {
		s->model_free = model_avail(s) + s->batch_freed;
		s->batch_inodes = s->batch_kept = 0;
		s->batch_index = s->batch_freed = 0;
	}
}

errcode_t e2c_select_open(e2c_fs *fs, const struct e2c_criteria *crit,
			  e2c_select **ret)
{
	e2c_select *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->inode = calloc(1, e2c_inode_buf_size(fs));
	if (!s->inode) {
		free(s);
		return ENOMEM;
	}
	s->fs = fs;
	s->crit = *crit;
	reset(s);
	*ret = s;
	return 0;
}

/* Whether the tx given to the scan is still open: the fs's open tx of
 * the scan's generation (a pointer compare would take a tx begun at the
 * address of a freed one for it). */
static int scan_tx_open(const e2c_select *s)
{
	return s->scan_tx && s->fs->tx &&
	       e2c_tx_generation(s->fs->tx) == s->scan_gen;
}

void e2c_select_close(e2c_select *s)
{
	if (!s)
		return;
	if (s->scan)
		e2c_scan_close(s->scan);
	if (s->build) {
		/* Left mid-scan: what it staged was never checked against a
		 * complete owners map, so it must not be committed. */
		e2c_owners_end(s->build, 0);
		if (scan_tx_open(s))
			e2c_tx_rollback(s->scan_tx);
	}
	if (s->offered)
		ext2fs_free_inode_bitmap(s->offered);
	drop_cands(s);
	free(s->cands);
	free(s->runs);
	free(s->selected);
	free(s->log);
	free(s->skips);
	free(s->inode);
	e2c_collect_free(&s->c);
	free(s);
}

static unsigned inode_type(const struct ext2_inode *in)
{
	int ft = e2c_mode_ftype(in->i_mode);

	return ft == EXT2_FT_REG_FILE ? E2C_TYPE_REGULAR :
	       ft == EXT2_FT_DIR ? E2C_TYPE_DIRECTORY :
	       ft == EXT2_FT_SYMLINK ? E2C_TYPE_SYMLINK : E2C_TYPE_OTHER;
}

/* The criteria on the inode's own fields. */
static int fields_match(e2c_select *s, struct ext2_inode *in)
{
	const struct e2c_criteria *c = &s->crit;
	long long mtime;

	if (c->types && !(c->types & inode_type(in)))
		return 0;
	if (c->use_uid && inode_uid(*in) != c->uid)
		return 0;
	if (c->use_gid && inode_gid(*in) != c->gid)
		return 0;
	if (c->use_min_size && EXT2_I_SIZE(in) < c->min_size)
		return 0;
	if (c->use_max_size && EXT2_I_SIZE(in) > c->max_size)
		return 0;
	if (c->use_mtime_before || c->use_mtime_after) {
		mtime = E2C_XTIME(s->fs, in, mtime);
		if (c->use_mtime_before && mtime >= c->mtime_before)
			return 0;
		if (c->use_mtime_after && mtime < c->mtime_after)
			return 0;
	}
	return 1;
}

/* The budget a candidate would overrun, or E2C_BUDGET_NONE. */
static enum e2c_budget over_budget(e2c_select *s, const struct cand *k)
{
	const struct e2c_criteria *c = &s->crit;
	const struct e2c_select_totals *t = &s->t;

	if (c->use_max_files && t->files + 1 > c->max_files)
		return E2C_BUDGET_MAX_FILES;
	if (c->use_max_data_blocks &&
	    t->data_blocks + k->data_blocks > c->max_data_blocks)
		return E2C_BUDGET_MAX_DATA_BLOCKS;
	if (c->use_max_index_blocks &&
	    t->index_blocks + k->index_blocks > c->max_index_blocks)
		return E2C_BUDGET_MAX_INDEX_BLOCKS;
	if (c->use_keep_free) {
		ext2_filsys h = s->fs->h;
		long double free_after =
			(long double)ext2fs_free_blocks_count(h->super) -
			(t->used_delta + k->used_delta);

		if (free_after * 100 < c->keep_free *
		    (long double)ext2fs_blocks_count(h->super))
			return E2C_BUDGET_KEEP_FREE;
	}
	return E2C_BUDGET_NONE;
}

/* ino to the end of the output (ordered: it is cands[nout] by then). */
static errcode_t out_push(e2c_select *s, ext2_ino_t ino)
{
	struct out_run *r = s->nruns ? &s->runs[s->nruns - 1] : NULL;
	errcode_t retval;

	if (s->crit.order == E2C_ORDER_NONE) {
		if (r && ino - r->first == r->n && r->n < UINT32_MAX) {
			r->n++;
		} else {
			retval = e2c_grow(&s->runs, &s->runs_cap,
					  s->nruns + 1, sizeof(*s->runs));
			if (retval)
				return retval;
			s->runs[s->nruns].first = ino;
			s->runs[s->nruns++].n = 1;
		}
	}
	s->nout++;
	return 0;
}

/* Off the end of the output, the last pushed (not taken). */
static void out_pop(e2c_select *s)
{
	if (s->crit.order == E2C_ORDER_NONE && !--s->runs[s->nruns - 1].n)
		s->nruns--;
	s->nout--;
}

/* Everything in the output taken. */
static void out_take_all(e2c_select *s)
{
	s->taken = s->nout;
	s->take_run = s->nruns ? s->nruns - 1 : 0;
	s->take_off = s->nruns ? s->runs[s->nruns - 1].n : 0;
}

/* The i-th of the output, reading on from run *r at offset *off. */
static ext2_ino_t out_next(e2c_select *s, size_t i, size_t *r, __u32 *off)
{
	if (s->crit.order != E2C_ORDER_NONE)
		return s->cands[i].ino;
	while (*off >= s->runs[*r].n) {
		++*r;
		*off = 0;
	}
	return s->runs[*r].first + (*off)++;
}

/* Into the output, within the budgets; 0 with s->selecting cleared when
 * a budget stops the run. */
static errcode_t admit(e2c_select *s, const struct cand *k)
{
	enum e2c_budget stop = over_budget(s, k);
	errcode_t retval;

	if (stop) {
		s->t.stopped_by = stop;
		s->selecting = 0;
		return 0;
	}
	retval = out_push(s, k->ino);
	if (retval)
		return retval;
	s->t.files++;
	s->t.regular += k->type == E2C_TYPE_REGULAR;
	s->t.directories += k->type == E2C_TYPE_DIRECTORY;
	s->t.symlinks += k->type == E2C_TYPE_SYMLINK;
	s->t.data_blocks += k->data_blocks;
	s->t.extents += k->extents;
	s->t.index_blocks += k->index_blocks;
	s->t.meta_freed += k->meta_freed;
	s->t.used_delta += k->used_delta;
	model_take(s, k);
	return 0;
}

/* Admitted plan p (an inode of type E2C_TYPE_*) could not be staged after
 * all (no room: the model and the disk disagree, as when the tx held
 * inodes already): out of the totals, into the skips. */
static void unadmit(e2c_select *s, const struct e2c_plan *p, unsigned type)
{
	s->t.files--;
	s->t.regular -= type == E2C_TYPE_REGULAR;
	s->t.directories -= type == E2C_TYPE_DIRECTORY;
	s->t.symlinks -= type == E2C_TYPE_SYMLINK;
	s->t.data_blocks -= p->data_blocks;
	s->t.extents -= p->extents;
	s->t.index_blocks -= p->index_blocks;
	s->t.meta_freed -= p->meta_freed;
	s->t.used_delta -= p->used_delta;
}

/* Whether a comes before b in the order (ties: lower inode first). */
static int before(const e2c_select *s, const struct cand *a,
		  const struct cand *b)
{
	if (a->key != b->key)
		return s->crit.order == E2C_ORDER_SMALLEST ?
			a->key < b->key : a->key > b->key;
	return a->ino < b->ino;
}

/* Keep candidate k: all of them, or under max_files the max_files + 1
 * first in the order (the one past the budget says why the run
 * stopped), as a heap whose root is the last of them. */
/* The bound on the candidates kept: max_files + 1 in a heap, or 0 (all;
 * and a custom order is the caller's to apply: keep everything). */
static size_t heap_cap(const e2c_select *s)
{
	return s->crit.order != E2C_ORDER_NONE && s->crit.use_max_files &&
	       s->crit.order != E2C_ORDER_CUSTOM ? s->crit.max_files + 1 : 0;
}

/* Whether ino could join the heap of candidates (and its runs are worth
 * collecting): the heap has room, or the order's key, when the inode
 * alone gives it, beats the heap's last. */
static int may_keep(const e2c_select *s, ext2_ino_t ino,
		    const struct ext2_inode *inode)
{
	struct cand k;

	if (!heap_cap(s))
		return 0;
	if (s->ncands < heap_cap(s) || s->crit.order == E2C_ORDER_FRAGMENTED)
		return 1;
	k.ino = ino;
	k.key = EXT2_I_SIZE(inode);
	return before(s, &k, &s->cands[0]);
}

/* Keep what staging k needs: its plan, and the runs collected in s->c
 * (taken over). */
static errcode_t keep(e2c_select *s, struct cand *k,
		      const struct e2c_plan *plan)
{
	k->kept = NULL;
	if (!s->collected)		/* staging walks it again */
		return 0;
	k->kept = malloc(sizeof(*k->kept));
	if (!k->kept)
		return ENOMEM;
	k->kept->plan = *plan;
	k->kept->c = s->c;
	memset(&s->c, 0, sizeof(s->c));
	return 0;
}

static errcode_t enqueue(e2c_select *s, struct cand *k,
			 const struct e2c_plan *plan)
{
	size_t cap = heap_cap(s);
	struct cand *q;
	size_t i, n;
	errcode_t retval;

	if (!cap || s->ncands < cap) {
		retval = e2c_grow(&s->cands, &s->cands_cap, s->ncands + 1,
			      sizeof(*s->cands));
		if (retval)
			return retval;
		q = s->cands;
		k->kept = NULL;
		if (cap) {
			retval = keep(s, k, plan);
			if (retval)
				return retval;
		}
		i = s->ncands++;
		q[i] = *k;
		if (!cap)
			return 0;
		while (i > 0 && before(s, &q[(i - 1) / 2], &q[i])) {
			struct cand tmp = q[i];

			q[i] = q[(i - 1) / 2];
			q[(i - 1) / 2] = tmp;
			i = (i - 1) / 2;
		}
		return 0;
	}
	q = s->cands;
	if (!before(s, k, &q[0]))
		return 0;
	retval = keep(s, k, plan);
	if (retval)
		return retval;
	kept_free(q[0].kept);
	q[0] = *k;
	for (i = 0, n = s->ncands;;) {
		size_t l = 2 * i + 1, r = l + 1, big = i;
		struct cand tmp;

		if (l < n && before(s, &q[big], &q[l]))
			big = l;
		if (r < n && before(s, &q[big], &q[r]))
			big = r;
		if (big == i)
			break;
		tmp = q[i];
		q[i] = q[big];
		q[big] = tmp;
		i = big;
	}
	return 0;
}

static errcode_t count_skip(e2c_select *s, errcode_t code)
{
	size_t i;
	errcode_t retval;

	s->t.skipped++;
	for (i = 0; i < s->nskips; i++)
		if (s->skips[i].code == code) {
			s->skips[i].count++;
			return 0;
		}
	retval = e2c_grow(&s->skips, &s->skips_cap, s->nskips + 1,
		      sizeof(*s->skips));
	if (retval)
		return retval;
	s->skips[s->nskips].code = code;
	s->skips[s->nskips++].count = 1;
	return 0;
}

static errcode_t log_plan(e2c_select *s, const struct e2c_plan *plan)
{
	errcode_t retval;

	if (!s->crit.log)
		return 0;
	retval = e2c_grow(&s->log, &s->log_cap, s->nlog + 1, sizeof(*s->log));
	if (!retval)
		s->log[s->nlog++] = *plan;
	return retval;
}

/* Whether a staging error is "no room for its index blocks" (the plan is
 * then a skip, not a failure), the plan given the reason. */
static int no_room(e2c_fs *fs, e2c_tx *tx, errcode_t err,
		   struct e2c_plan *plan)
{
	struct e2c_tx_totals t;
	blk64_t nfree;

	if (err != EXT2_ET_BLOCK_ALLOC_FAIL && err != E2C_ERR_SKIP_NO_SPACE)
		return 0;
	if (err == EXT2_ET_BLOCK_ALLOC_FAIL) {
		e2c_tx_totals(tx, &t);
		nfree = ext2fs_free_blocks_count(fs->h->super);
		plan->skip = E2C_ERR_SKIP_NO_SPACE;
		plan->free_blocks = nfree > t.index_blocks ?
				    nfree - t.index_blocks : 0;
	}
	return 1;
}

/* Stage the inode just selected from the walk that planned it (plan
 * becomes a skip if there is no room after all); stop staging once the
 * scan's share is staged. */
static errcode_t stage_now(e2c_select *s, struct e2c_plan *plan,
			   unsigned type)
{
	errcode_t retval;

	retval = e2c_tx_stage_planned(s->tx, plan, &s->c, s->build);
	if (retval && no_room(s->fs, s->tx, retval, plan)) {
		unadmit(s, plan, type);
		out_pop(s);
		return count_skip(s, plan->skip);
	}
	if (retval) {
		s->stage_failed = plan->ino;
		return retval;
	}
	out_take_all(s);
	if (e2c_tx_full(s->tx) ||
	    (s->tx_max && e2c_tx_count(s->tx) >= s->tx_max))
		s->tx = NULL;
	return 0;
}

/* One inode already read: criteria, plan, then the output or the queue. */
static errcode_t consider(e2c_select *s, ext2_ino_t ino,
			  struct ext2_inode *inode)
{
	struct e2c_plan plan;
	struct cand k;
	int walked = 0;
	errcode_t retval;

	if (s->build)
		e2c_owners_claim_ea(s->build, inode);
	/* Offered before the scan: considered once already. */
	if (!s->selecting || !fields_match(s, inode) ||
	    (s->scan && s->offered &&
	     ext2fs_test_inode_bitmap2(s->offered, ino))) {
		if (s->build)
			e2c_owners_claim_map(s->build, ino, inode);
		return 0;
	}
	s->t.examined++;
	s->c.nfreed = 0;
	s->collected = s->tx || may_keep(s, ino, inode);
	retval = (s->crit.unmigrate ? e2c_unplan_from : e2c_plan_from)(
			s->fs, ino, inode, &plan, s->collected ? &s->c : NULL,
			&walked, s->build);
	if (!retval && s->build && !walked)
		e2c_owners_claim_map(s->build, ino, inode);
	if (retval)
		return retval;
	/* A skip first: a skipped plan has no runs to filter on, and a
	 * corrupt inode is reported whatever the criteria.  Then the room
	 * for its index blocks: unordered, it comes now; ordered, finish
	 * fits them in order. */
	if (!plan.skip && s->crit.min_runs && plan.runs < s->crit.min_runs) {
		s->t.filtered++;
		return 0;
	}
	if (s->crit.order == E2C_ORDER_NONE)
		e2c_plan_fit(&plan, model_avail(s));
	if (plan.skip) {
		retval = count_skip(s, plan.skip);
		return retval ? retval : log_plan(s, &plan);
	}
	k.ino = ino;
	k.type = inode_type(inode);
	k.key = s->crit.order == E2C_ORDER_FRAGMENTED ? plan.runs :
		EXT2_I_SIZE(inode);
	k.data_blocks = plan.data_blocks;
	k.extents = plan.extents;
	k.index_blocks = plan.index_blocks;
	k.meta_freed = plan.meta_freed;
	k.used_delta = plan.used_delta;
	if (s->crit.order != E2C_ORDER_NONE)
		return enqueue(s, &k, &plan);
	retval = admit(s, &k);
	if (retval || !s->selecting)
		return retval;
	if (s->tx)
		retval = stage_now(s, &plan, k.type);
	return retval ? retval : log_plan(s, &plan);
}

errcode_t e2c_select_offer(e2c_select *s, ext2_ino_t ino, int *stopped)
{
	ext2_filsys h = s->fs->h;
	errcode_t retval;

	*stopped = !s->selecting;
	if (!s->selecting)
		return 0;
	/* Mid-scan the inode may have been claimed already; and planning
	 * needs the owners map another selection's scan is building. */
	if (s->scan || (e2c_owners_building(s->fs) && !s->build))
		return E2C_ERR_SCANNING;
	if (s->fs->writable) {
		retval = e2c_fs_check_bitmaps(s->fs);
		if (retval)
			return retval;
	}
	if (ino < 1 || ino > h->super->s_inodes_count)
		return EXT2_ET_BAD_INODE_NUM;
	if (!s->offered) {
		retval = ext2fs_allocate_inode_bitmap(h, "offered inodes",
						      &s->offered);
		if (retval)
			return retval;
	}
	if (ext2fs_test_inode_bitmap2(s->offered, ino))
		return 0;		/* a hard link met again */
	retval = e2c_read_inode(s->fs, ino, s->inode);
	if (!retval)
		retval = consider(s, ino, s->inode);
	/* Only once considered does it count as offered (a failed offer
	 * may be made again). */
	if (!retval)
		ext2fs_mark_inode_bitmap2(s->offered, ino);
	*stopped = !s->selecting;
	return retval;
}

errcode_t e2c_select_scan(e2c_select *s, size_t max, e2c_tx *tx,
			  size_t tx_max, int *done)
{
	ext2_ino_t ino;
	size_t n = 0;
	errcode_t retval = 0;
	int clash = 0;

	*done = 0;
	/* A tx of another fs (or a closed one) is never staged into. */
	if (tx && tx != s->fs->tx)
		return E2C_ERR_OTHER_FS;
	if (!s->scan) {
		if (!s->fs->shared) {
			/* Another selection's scan is building the map: one
			 * map, one builder (the first one's closing would end
			 * this one's build). */
			retval = e2c_owners_begin(s->fs, &s->build);
			if (retval)
				return retval;
		}
		/* Staged as selected: only in inode order, into an empty tx
		 * (a rescan rolls it back whole). */
		s->tx = s->scan_tx = tx && !e2c_tx_count(tx) &&
			s->crit.order == E2C_ORDER_NONE ? tx : NULL;
		if (s->scan_tx)
			s->scan_gen = e2c_tx_generation(tx);
		s->tx_max = tx_max;
		/* Building, every inode that may own blocks counts. */
		retval = s->build ? e2c_scan_open_live(s->fs, &s->scan) :
				       e2c_scan_open(s->fs, &s->scan);
		if (retval)
			return retval;
	}
	/* A tx closed between calls is let go (never touched again). */
	if (s->scan_tx && !scan_tx_open(s))
		s->tx = s->scan_tx = NULL;
	while (!max || n < max) {
		if (e2c_interrupted)
			return E2C_ERR_INTERRUPTED;
		retval = e2c_scan_next(s->scan, &ino, s->inode);
		if (retval)
			return retval;
		if (!ino)
			break;
		/* Done selecting and the owners map needs nothing more. */
		if (!s->selecting && !s->build)
			break;
		/* In use though the inode bitmap says free: its blocks are
		 * claimed, it is never selected. */
		if (e2c_scan_hidden(s->scan))
			e2c_owners_claim_hidden(s->build, ino, s->inode);
		else
			retval = consider(s, ino, s->inode);
		if (retval)
			return retval;
		n++;
	}
	if (ino && (s->selecting || s->build))
		return 0;		/* more to come */
	e2c_scan_close(s->scan);
	s->scan = NULL;
	s->tx = NULL;
	if (s->build) {
		e2c_owners_end(s->build, 1);
		s->build = NULL;
		/* Staged before the bitmaps could be checked: a write they
		 * refuse is rolled back before anyone can commit it. */
		if (s->fs->writable)
			retval = e2c_fs_check_bitmaps(s->fs);
		if (!retval && s->scan_tx)
			retval = e2c_tx_verify(s->scan_tx, &clash);
		if (retval) {
			if (scan_tx_open(s))
				e2c_tx_rollback(s->scan_tx);
			return retval;
		}
		if (clash || e2c_owners_any_shared(s->fs)) {
			/* Plans made while building did not check for shared
			 * blocks, nor reservations for blocks mapped but
			 * free in the bitmap: do it all again, checking. */
			if (s->scan_tx)
				e2c_tx_rollback(s->scan_tx);
			reset(s);
			return e2c_select_scan(s, max, s->scan_tx, s->tx_max,
					       done);
		}
	}
	/* A run its bitmaps would refuse fails here, its dry run too. */
	if (s->fs->writable)
		retval = e2c_fs_check_bitmaps(s->fs);
	*done = !retval;
	return retval;
}

static int cmp_cand(const void *a, const void *b, void *arg)
{
	if (before(arg, a, b))
		return -1;
	return before(arg, b, a);
}

static int cmp_ino(const void *a, const void *b)
{
	ext2_ino_t x = ((const struct cand *)a)->ino;
	ext2_ino_t y = ((const struct cand *)b)->ino;

	return x < y ? -1 : x > y;
}

/* Put the candidates in the caller's order: each once, unknown inodes
 * ignored, candidates left out dropped. */
static errcode_t custom_order(e2c_select *s, const ext2_ino_t *order,
			      size_t n)
{
	struct cand *sorted, key, *k;
	size_t i, m = 0;

	sorted = calloc(s->ncands + 1, sizeof(*sorted));
	if (!sorted)
		return ENOMEM;
	if (s->ncands)		/* else cands may be NULL: no qsort/bsearch */
		qsort(s->cands, s->ncands, sizeof(*s->cands), cmp_ino);
	for (i = 0; i < n && s->ncands; i++) {
		key.ino = order[i];
		k = bsearch(&key, s->cands, s->ncands, sizeof(*s->cands),
			    cmp_ino);
		if (k && k->key != (__u64)-1) {
			sorted[m++] = *k;
			k->key = (__u64)-1;	/* taken */
		}
	}
	free(s->cands);
	s->cands = sorted;
	s->ncands = m;
	s->cands_cap = m + 1;
	return 0;
}

errcode_t e2c_select_finish(e2c_select *s, const ext2_ino_t *order, size_t n)
{
	struct e2c_plan plan;
	size_t i, w;
	errcode_t retval = 0;

	if (s->crit.order == E2C_ORDER_NONE || s->finished)
		return 0;
	if (s->crit.order == E2C_ORDER_CUSTOM)
		retval = custom_order(s, order, n);
	else if (s->ncands)	/* none: cands may be NULL, qsort_r's nonnull */
		qsort_r(s->cands, s->ncands, sizeof(*s->cands), cmp_cand, s);
	s->finished = 1;
	/* The admitted ones move up (cands[w]) so that out[i] = cands[i];
	 * one whose index blocks do not fit by then is skipped. */
	for (i = w = 0; !retval && i < s->ncands && s->selecting; i++) {
		struct cand *k = &s->cands[i];
		size_t had = s->nout;
		blk64_t avail = model_avail(s);
		int fits = k->index_blocks <= avail;

		if (fits)
			retval = admit(s, k);
		else
			retval = count_skip(s, E2C_ERR_SKIP_NO_SPACE);
		if (!retval && (s->nout > had || !fits) && s->crit.log) {
			retval = (s->crit.unmigrate ? e2c_unplan_collect :
				  e2c_plan_collect)(s->fs, k->ino, &plan,
						    NULL);
			if (!retval) {
				e2c_plan_fit(&plan, avail);
				retval = log_plan(s, &plan);
			}
		}
		if (s->nout == had)
			continue;
		if (w != i) {
			s->cands[w] = *k;
			k->kept = NULL;
		}
		w++;
	}
	/* Those not admitted are not staged: drop what was kept. */
	for (i = w; i < s->ncands; i++) {
		kept_free(s->cands[i].kept);
		s->cands[i].kept = NULL;
	}
	return retval;
}

ext2_ino_t e2c_select_stage_failed(e2c_select *s)
{
	return s->stage_failed;
}

const struct e2c_select_totals *e2c_select_totals(e2c_select *s)
{
	return &s->t;
}

const struct e2c_skip_count *e2c_select_skips(e2c_select *s, size_t *n)
{
	*n = s->nskips;
	return s->skips;
}

ext2_ino_t e2c_select_candidate(e2c_select *s, size_t i)
{
	return !s->finished && i < s->ncands ? s->cands[i].ino : 0;
}


errcode_t e2c_select_selected(e2c_select *s, const ext2_ino_t **v,
			       size_t *n)
{
	size_t i, r = 0;
	__u32 off = 0;
	errcode_t retval;

	retval = e2c_grow(&s->selected, &s->selected_cap, s->nout,
			  sizeof(*s->selected));
	if (retval)
		return retval;
	for (i = 0; i < s->nout; i++)
		s->selected[i] = out_next(s, i, &r, &off);
	*v = s->selected;
	*n = s->nout;
	return 0;
}

size_t e2c_select_pending(e2c_select *s)
{
	return s->nout - s->taken;
}

const struct e2c_plan *e2c_select_log(e2c_select *s, size_t *n)
{
	*n = s->nlog;
	s->nlog = 0;
	return s->log;
}

/* The next selected inode not staged yet, or 0. */
static ext2_ino_t take(e2c_select *s)
{
	if (s->taken == s->nout)
		return 0;
	return out_next(s, s->taken++, &s->take_run, &s->take_off);
}

errcode_t e2c_select_stage(e2c_select *s, e2c_tx *tx, size_t max,
			   size_t *staged, ext2_ino_t *failed)
{
	struct e2c_plan plan;
	ext2_ino_t ino;
	struct kept *k;
	size_t pos;
	errcode_t retval;

	*staged = 0;
	*failed = 0;
	if (tx != s->fs->tx)
		return E2C_ERR_OTHER_FS;
	while ((!max || e2c_tx_count(tx) < max) && !e2c_tx_full(tx)) {
		if (e2c_interrupted)
			return E2C_ERR_INTERRUPTED;
		pos = s->taken;
		ino = take(s);
		if (!ino)
			break;
		k = s->finished && pos < s->ncands &&
		    s->cands[pos].ino == ino ? s->cands[pos].kept : NULL;
		if (k) {
			/* Planned by the scan: no walk again. */
			plan = k->plan;
			retval = e2c_tx_stage_planned(tx, &k->plan, &k->c,
						      NULL);
			kept_free(k);
			s->cands[pos].kept = NULL;
		} else {
			retval = (s->crit.unmigrate ? e2c_tx_unmigrate :
				  e2c_tx_migrate)(tx, ino, &plan);
			if (!retval && plan.skip)
				retval = plan.skip;
		}
		if (retval && no_room(s->fs, tx, retval, &plan)) {
			/* Skipped: no room after all (see no_room).  Its
			 * type for the totals (rare: read it again). */
			unadmit(s, &plan, e2c_read_inode(s->fs, ino, s->inode) ?
				0 : inode_type(s->inode));
			retval = count_skip(s, plan.skip);
			if (!retval)
				retval = log_plan(s, &plan);
			if (retval)
				return retval;
			continue;
		}
		if (retval) {
			*failed = ino;
			return retval;
		}
		(*staged)++;
	}
	return 0;
}
