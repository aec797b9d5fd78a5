-- defrag.lua -- defragment offline: relocate the files (block- or
-- extent-mapped) whose extent count exceeds K times their ideal, largest
-- gain first, within a budget of blocks to copy and a free-space reserve.
-- Each file is copied into as few free ranges as free space allows and
-- becomes extent-mapped (doc/migration.md, "Relocating migration").
--
--   e2lua -w IMAGE scripts/defrag.lua [--path /home] [--ratio 2] \
--         [--max-copy-blocks N] [--keep-free PCT] [--verify] [--dry-run] [--verbose]
--   e2lua: run defrag --path /var --dry-run
--
-- The ideal is the fewest extents the file's data islands need (holes
-- stay holes: ino:frag().ideal).  Candidates are found by one scan (or
-- walks for --path), sorted by their gain (extents - ideal, most first),
-- then staged one by one: a file the layout cannot improve by one extent
-- at least (free space too fragmented) is skipped.  A dry run plans each
-- file as if it were the only one (fs:plan): the layouts of a real run,
-- where each file's copy takes free space from the next, may differ.

local policy = require "e2.policy"

local opts = policy.options(arg, {
	name = "defrag",
	about = "Relocate fragmented files into as few extents as free space allows.",
	groups = { "defrag" },
})
if not opts then return end		-- --help
if not opts.dry_run and not fs.writable then
	policy.fail("defrag", "%s is open read-only: open it with -w, or use --dry-run", fs.image)
end

local core = policy.core
local ratio = opts.ratio or 2
local say = opts.verbose and print or function() end
local super = fs.super
local reserve = math.ceil((opts.keep_free or 0) * super.blocks_count / 100)
local count = function(n, one, many)
	return string.format("%d %s", n, n == 1 and one or many or one .. "s")
end

-- 1. The candidates: regular files and directories with more extents
-- than ratio times their ideal.
local cands = {}
local progress = policy.progress("defrag", not opts.paths and
	super.inodes_count - super.free_inodes_count or nil, opts.progress)
local examined = 0
for inode, path in policy.select(fs, { name = "defrag", paths = opts.paths }) do
	progress:tick()
	local t = inode.type
	if (t == "regular" or t == "directory") and inode.ino >= super.first_ino then
		examined = examined + 1
		local f = core(inode.frag, inode)
		if f.extents > f.ideal and f.extents > ratio * f.ideal then
			cands[#cands + 1] = { ino = inode.ino, path = path, extents = f.extents,
				ideal = f.ideal, data_blocks = f.data_blocks }
		end
	end
end
progress:clear()
table.sort(cands, function(a, b)
	local ga, gb = a.extents - a.ideal, b.extents - b.ideal
	if ga ~= gb then return ga > gb end
	return a.ino < b.ino
end)

-- 2. Stage them, largest gain first, committing every batch (or full
-- transaction): what a commit frees is there for the next files.
local s = { files = 0, before = 0, after = 0, ideal = 0, copied = 0, moved = 0, used_delta = 0,
	skipped = {}, skipped_total = 0, batches = 0, stopped_by = nil,
	free_before = super.free_blocks_count }
local mopts = { relocate = true, min_gain = 1, verify = opts.verify or false }
local tx = not opts.dry_run and core(fs.begin, fs) or nil
local held = 0			-- blocks the staged relocations hold until committed
local staged = 0

local function commit()
	if not tx or #tx == 0 then return end
	core(tx.commit, tx)
	s.batches = s.batches + 1
	held, staged = 0, 0
end

local function skip(c, reason)
	s.skipped[reason] = (s.skipped[reason] or 0) + 1
	s.skipped_total = s.skipped_total + 1
	say(string.format("  skip <%d> %s: %s", c.ino, c.path or core(fs.path, fs, c.ino) or "?", reason))
end

progress = policy.progress("defrag", #cands, opts.progress)
for _, c in ipairs(cands) do
	progress:tick(1)
	if opts.max_copy_blocks and s.copied + c.data_blocks > opts.max_copy_blocks then
		s.stopped_by = "--max-copy-blocks"
		break
	end
	if fs.super.free_blocks_count - held - c.data_blocks < reserve then
		s.stopped_by = "--keep-free"
		break
	end
	local p
	if tx then
		p = core(tx.try, tx, c.ino, mopts)
	else
		p = core(fs.plan, fs, c.ino, mopts)
		if p.ok and p.extents_before - p.extents < 1 then
			p.ok, p.reason = false, "Relocating gains too few extents (min_gain)"
		end
	end
	if not p.ok then
		skip(c, p.reason)
	else
		s.files = s.files + 1
		s.before, s.after, s.ideal = s.before + p.extents_before, s.after + p.extents,
			s.ideal + p.ideal
		s.copied, s.moved = s.copied + p.copy_blocks, s.moved + p.data_blocks
		s.used_delta = s.used_delta + p.used_delta
		held = held + p.data_blocks + p.index_blocks
		staged = staged + 1
		say(string.format("  <%d> %s: %s -> %d (ideal %d), %s copied", c.ino,
			c.path or core(fs.path, fs, c.ino) or "?", p.extents_before, p.extents,
			p.ideal, count(p.copy_blocks, "block")))
		if tx and (tx:full() or (opts.batch and staged >= opts.batch)) then commit() end
	end
end
commit()
if tx then tx:close() end
progress:clear()

-- 3. The summary.
local out = print
if opts.dry_run then
	out(string.format("defrag: dry run, nothing written: %s would be relocated",
		count(s.files, "file")))
else
	out(string.format("defrag: relocated %s in %s", count(s.files, "file"),
		count(s.batches, "batch", "batches")))
end
out(string.format("  examined:       %s, %s over %g times their ideal", count(examined, "file"),
	#cands, ratio))
out(string.format("  extents:        %d -> %d (ideal %d)", s.before, s.after, s.ideal))
out(string.format("  blocks copied:  %d (%d data blocks moved)", s.copied, s.moved))
out(string.format("  free blocks:    %d -> %d", s.free_before,
	opts.dry_run and s.free_before - s.used_delta or fs.super.free_blocks_count))
local reasons = {}
for r, n in pairs(s.skipped) do reasons[#reasons + 1] = string.format("%s: %d", r, n) end
table.sort(reasons)
out(string.format("  skipped:        %d%s", s.skipped_total,
	#reasons > 0 and " (" .. table.concat(reasons, ", ") .. ")" or ""))
if s.stopped_by then out(string.format("  stopped by:     %s", s.stopped_by)) end
return s
