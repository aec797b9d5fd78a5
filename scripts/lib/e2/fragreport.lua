-- e2.fragreport -- the fragmentation report that `frag -a` and `survey`
-- print from a fs:frag_survey() table, and the progress line they draw
-- while the scan runs.
--
--   local report = require "e2.fragreport"
--   local progress, clear = report.progress("frag")
--   local r = fs:frag_survey{ top = 10, progress = progress }
--   clear()
--   report.print(fs, r)
local e2 = require "e2"

local M = {}

-- A progress function for fs:frag_survey that draws "LABEL: NN%" on
-- stderr when stderr is a terminal (nil otherwise), and a function that
-- clears the line again.
function M.progress(label)
	if not e2.isatty(io.stderr) then return nil, function() end end
	local last
	return function(done, total)
		local pct = total > 0 and done * 100 // total or 100
		if pct ~= last then
			io.stderr:write(string.format("\r%s: %3d%%", label, pct))
			last = pct
		end
	end, function()
		if last then io.stderr:write("\r" .. string.rep(" ", #label + 6) .. "\r") end
	end
end

local function plural(n, one, many)
	return string.format("%d %s", n, n == 1 and one or many)
end

local function pct(a, b)
	return string.format("%.1f%%", b > 0 and a * 100 / b or 0)
end

-- e2fsck's percentage: tenths, rounded as show_stats rounds them.
local function fsck_pct(n, used)
	local p = used > 0 and (10000 * n // used + 5) // 10 or 0
	return string.format("%d.%d%%", p // 10, p % 10)
end

-- Print the report of r (a fs:frag_survey table) with write(line).
function M.print(fs, r, write)
	write = write or print
	local function out(fmt, ...) write(string.format(fmt, ...)) end
	out("Fragmentation: %s with data, %d fragmented (%s): %s in %s",
		plural(r.files, "file", "files"), r.fragmented, pct(r.fragmented, r.files),
		plural(r.fragments, "fragment", "fragments"), plural(r.runs, "run", "runs"))
	out("  Extents: %d, ideal %d (%s with more than their ideal)", r.extents, r.ideal,
		plural(r.excess, "file", "files"))
	out("  Holes: %s in %s (holes are not fragmentation)", plural(r.holes, "hole", "holes"),
		plural(r.holey, "file", "files"))
	if r.e2fsck then
		local sb = fs.super
		local used = sb.inodes_count - sb.free_inodes_count
		out("  Non-contiguous as e2fsck counts them: %s, %s (%s of %d inodes in use)",
			plural(r.e2fsck.files, "file", "files"),
			plural(r.e2fsck.directories, "directory", "directories"),
			fsck_pct(r.e2fsck.files + r.e2fsck.directories, used), used)
	end
	if r.bad > 0 then
		out("  Maps that could not be walked: %d (the first: <%d>: %s)", r.bad,
			r.first_bad, r.first_bad_reason)
	end
	if r.files > 0 then
		out("  %15s %10s %12s %14s", "extents/file", "files", "fragmented", "data blocks")
		for _, h in ipairs(r.histogram) do
			if h.files > 0 then
				local range = h.min == h.max and tostring(h.min) or h.min .. "-" .. h.max
				out("  %15s %10d %12d %14d", range, h.files, h.fragmented, h.data_blocks)
			end
		end
	end
	local b, x = r.blockmap, r.extent_mapped
	out("Map metadata:")
	out("  block maps: %s, %d data blocks, %d indirect blocks (%s); as extent trees %d extents, %d index blocks",
		plural(b.files, "file", "files"), b.data_blocks, b.indirect_blocks,
		pct(b.indirect_blocks, b.data_blocks), b.extents_needed, b.index_blocks_needed)
	out("  extent trees: %s, %d data blocks, %d extents, %d index blocks (%s)",
		plural(x.files, "file", "files"), x.data_blocks, x.extents, x.index_blocks,
		pct(x.index_blocks, x.data_blocks))
	if #r.top > 0 then
		out("Most fragmented:")
		out("  %10s %10s %10s %12s  %s", "fragments", "extents", "ideal", "data blocks", "path")
		for _, f in ipairs(r.top) do
			out("  %10d %10d %10d %12d  %s", f.fragments, f.extents, f.ideal, f.data_blocks,
				f.path or "<" .. f.ino .. ">")
		end
	end
end

return M
