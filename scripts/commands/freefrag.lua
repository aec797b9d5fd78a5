-- freefrag.lua -- the "freefrag" command: how fragmented the free space
-- is.  For the whole filesystem it prints e2freefrag's report, byte for
-- byte (the histogram of free extent sizes in e2freefrag's buckets, and
-- with -c the aligned chunks wholly free):
--
--   e2lua: freefrag -c 64
--   Device: disk.img
--   Blocksize: 4096 bytes
--   Total blocks: 40960
--   Free blocks: 34052 (83.1%)
--   ...
--   HISTOGRAM OF FREE EXTENT SIZES:
--   Extent Size Range :  Free extents   Free Blocks  Percent
--       4K...    8K-  :           100           100    0.29%
--
-- "freefrag GROUP" gives the same report for one block group, its free
-- extents cut at the group's boundaries ("Total blocks" is the group's,
-- "Free blocks" what its bitmap has free, the chunks those wholly inside
-- the group).  -g adds a table of every group after the whole report.

local getopt = require "e2.getopt"

local NAME, USAGE = "freefrag", "[-c chunk_kb] [-j] [-g | group]"
local UNITS = "KMGTPEZY"

local function log2(n)
	local b = 0
	while n > 1 do
		n = n >> 1
		b = b + 1
	end
	return b
end

-- e2freefrag's average: whole blocks first, then KiB.
local function avg_kb(t, scale)
	return t.extents > 0 and t.free_blocks // t.extents * scale or 0
end

-- The report of t (a fs:freefrag table) after its "Total blocks" line:
-- free is the "Free blocks" figure (the superblock's count for the whole
-- filesystem, as e2freefrag prints it) and what the percentages divide.
local function report(out, t, free, total, chunks)
	local bs = fs.block_size
	local scale = bs >> 10
	out("Free blocks: %d (%.1f%%)", free, free * 100 / total)
	if t.chunk_kb then
		out("")
		out("Chunksize: %d bytes (%d blocks)", t.chunk_kb * 1024, t.chunk_blocks)
		out("Total chunks: %d", chunks)
		out("Free chunks: %d (%.1f%%)", t.free_chunks, t.free_chunks * 100 / chunks)
	end
	out("")
	out("Min. free extent: %d KB ", t.min * scale)
	out("Max. free extent: %d KB", t.max * scale)
	out("Avg. free extent: %d KB", avg_kb(t, scale))
	out("Num. free extent: %d", t.extents)
	out("")
	out("HISTOGRAM OF FREE EXTENT SIZES:")
	out("%s :  %12s  %12s  %7s", "Extent Size Range", "Free extents", "Free Blocks", "Percent")
	-- Bucket i holds extents of 2^(i-1) to 2^i - 1 blocks; its label is
	-- in the largest unit that keeps the bound's number under 1024.
	local bits, units, u, start = log2(bs), 10, 1, 0
	for i = 0, #t.histogram do
		local upper = 1 << (i + bits - units)
		local h = t.histogram[i]
		if h and h.extents > 0 then
			local unit = UNITS:sub(u, u)
			out("%5d%s...%7s  :  %12d  %12d  %6.2f%%", start, unit,
				h.max and string.format("%5d%s-", upper, unit) or "max ",
				h.extents, h.blocks, h.blocks * 100 / free)
		end
		start = upper
		if start == 1024 then
			start, units, u = 1, units + 10, u + 1
		end
	end
end

-- One line per group: where its free space is and in how many pieces.
-- Returns the groups' fs:freefrag tables.
local function per_group(out, chunk_kb)
	local scale = fs.block_size >> 10
	local groups = {}
	out("")
	out("FREE SPACE PER GROUP (free extents cut at group boundaries):")
	out("%6s  %12s  %12s  %12s  %10s  %10s  %10s%s", "Group", "First block", "Free blocks",
		"Free extents", "Min KB", "Max KB", "Avg KB", chunk_kb and "   Free chunks" or "")
	for g = 0, fs.super.group_count - 1 do
		local t = fs:freefrag(g, chunk_kb)
		groups[g + 1] = t
		out("%6d  %12d  %12d  %12d  %10d  %10d  %10d%s", g, t.start, t.free_blocks, t.extents,
			t.min * scale, t.max * scale, avg_kb(t, scale),
			chunk_kb and string.format("  %12d", t.free_chunks) or "")
	end
	return groups
end

e2.command{
	name = NAME,
	usage = USAGE,
	help = "Free space fragmentation: e2freefrag's histogram, per group with -g",
	example = "freefrag\nfreefrag -j -c 64 -g",
	min = 0, max = 4, needs = "bitmaps",
	-- -j: {freefrag = fs:freefrag(), group=, groups=} (doc/json.md)
	json = true,
	run = function(...)
		local o, operands = getopt(NAME, USAGE, "c:g", ...)
		local chunk_kb
		if o.c then
			chunk_kb = getopt.number(NAME, USAGE, o.c, "chunk size", 1, 1 << 40)
			if chunk_kb & (chunk_kb - 1) ~= 0 then
				getopt.usage(NAME, USAGE, "chunk size must be a power of 2 (KiB)")
			end
			if chunk_kb * 1024 < fs.block_size then
				getopt.usage(NAME, USAGE, "chunk size must be at least the block size (%d KiB)",
					fs.block_size // 1024)
			end
		end
		if #operands > 1 or (o.g and #operands > 0) then
			getopt.usage(NAME, USAGE, "too many arguments")
		end
		local group
		if operands[1] then
			group = getopt.number(NAME, USAGE, operands[1], "group", 0)
			if group >= fs.super.group_count then
				getopt.usage(NAME, USAGE, "no group %d (groups 0 to %d)", group,
					fs.super.group_count - 1)
			end
		end
		local sb = fs.super
		local lines, groups = {}, nil
		local function out(fmt, ...) lines[#lines + 1] = string.format(fmt, ...) end
		local t = fs:freefrag(group, chunk_kb)
		out("Device: %s", fs.image)
		out("Blocksize: %d bytes", fs.block_size)
		if group then
			out("Group: %d (blocks %d-%d)", group, t.start, t.start + t.count - 1)
			out("Total blocks: %d", t.count)
			report(out, t, t.free_blocks, t.count, t.chunks)
		else
			out("Total blocks: %d", sb.blocks_count)
			-- e2freefrag's count of chunks: one more than fit when
			-- the block count is a multiple of the chunk.
			local chunks = t.chunk_kb and (sb.blocks_count + t.chunk_blocks) // t.chunk_blocks
			report(out, t, sb.free_blocks_count, sb.blocks_count, chunks)
			if o.g then groups = per_group(out, chunk_kb) end
		end
		lines[#lines + 1] = ""
		io.write(table.concat(lines, "\n"))
		return { freefrag = t, group = group, groups = groups }
	end,
}
