-- frag.lua -- the "frag" command: how fragmented files are, like
-- filefrag, and the whole filesystem's figures with -a.
--
--   e2lua: frag /var/log/syslog
--   File: /var/log/syslog   Inode: 1234   Map: block map
--   Data blocks: 5000
--   Runs: 8
--   Fragments: 7
--   Holes: 1 (12 blocks)
--   Extents needed: 8
--   Ideal extents: 2
--   Map blocks: 20 indirect blocks
--   e2fsck: non-contiguous
--   Contiguous: no
--
--   e2lua: frag -r /var/log          one line per file, then the total
--   /var/log/syslog: 7 fragments, 8 extents (ideal 2), 1 hole
--   ...
--   frag -v FILE...                  also each run, as filefrag -v lists them
--   frag -a [-n N]                   the whole filesystem (N most fragmented)
--
-- Runs are ino:runs()'s: logically and physically contiguous, one written
-- state.  A run starts a new fragment unless it begins right after the
-- previous run (past the file's own indirect or index blocks lying
-- there), where that run's mapping would put it (a hole's worth later),
-- or past filesystem metadata only: holes are not fragmentation.  The
-- ideal is the extents the data islands need (each logically contiguous
-- stretch of one state, split at 32768 blocks, 32767 unwritten).
-- "Extents needed" is what the runs need; "Extents now" what an extent
-- tree has.  "e2fsck" says whether e2fsck -fn counts the file as
-- non-contiguous (any jump in its blocks, map blocks included, for files
-- smaller than a block group).  doc/lua-api.md (ino:frag) has the rules.

local getopt = require "e2.getopt"
local report = require "e2.fragreport"

local NAME, USAGE = "frag", "[-j] [-v] [-r] <file>... | -a [-n N]"

local function plural(n, one, many)
	return string.format("%d %s", n, n == 1 and one or many)
end

-- filefrag -v's table of runs.
local function print_runs(spec, ino, f)
	local bs, size = fs.block_size, ino.size
	local nblocks = (size + bs - 1) // bs
	local lw = math.max(8, #tostring(nblocks))
	local pw = math.max(10, #tostring(fs.super.blocks_count))
	print(string.format("File size of %s is %d (%s of %d bytes)", spec, size,
		plural(nblocks, "block", "blocks"), bs))
	print(string.format(" ext: %" .. (lw * 2 + 3) .. "s %" .. (pw * 2 + 3) .. "s length: %"
		.. (pw + 1) .. "s flags:", "logical_offset:", "physical_offset:", "expected:"))
	local row = "%4d: %" .. lw .. "d..%" .. lw .. "d: %" .. pw .. "d..%" .. pw .. "d: %6d: %s"
	for i, r in ipairs(f.run_list) do
		local flags = {}
		if i == #f.run_list then flags[#flags + 1] = "last" end
		if r.uninit then flags[#flags + 1] = "unwritten" end
		if r.lblk + r.len >= nblocks then flags[#flags + 1] = "eof" end
		local expected = r.fragment and r.expected and string.format("%" .. pw .. "d:", r.expected)
			or string.rep(" ", pw + 1)
		print(string.format(row, i - 1, r.lblk, r.lblk + r.len - 1, r.pblk, r.pblk + r.len - 1,
			r.len, expected .. " " .. table.concat(flags, ",")))
	end
end

-- The full report of one file.
local function print_block(spec, ino, f)
	local map = "none"
	if ino.extent_mapped then
		map = string.format("extent tree, depth %d", ino:tree().depth)
	elseif ino.inline then
		map = "inline data"
	elseif ino.has_blocks then
		map = "block map"
	end
	print(string.format("File: %s   Inode: %d   Map: %s", spec, ino.ino, map))
	print(string.format("Data blocks: %d", f.data_blocks))
	print(string.format("Runs: %d", f.runs))
	print(string.format("Fragments: %d", f.fragments))
	print(string.format("Holes: %d (%s)", f.holes, plural(f.hole_blocks, "block", "blocks")))
	print(string.format("Extents needed: %d", f.extents_needed))
	if ino.extent_mapped then print(string.format("Extents now: %d", f.extents)) end
	print(string.format("Ideal extents: %d", f.ideal))
	print(string.format("Map blocks: %s", plural(f.map_blocks,
		ino.extent_mapped and "extent tree block" or "indirect block",
		ino.extent_mapped and "extent tree blocks" or "indirect blocks")))
	print(string.format("e2fsck: %s", f.e2fsck_noncontiguous and "non-contiguous" or "contiguous"))
	print(string.format("Contiguous: %s", f.fragments <= 1 and "yes" or "no"))
end

local function print_line(spec, f)
	print(string.format("%s: %s, %s (ideal %d)%s", spec,
		plural(f.fragments, "fragment", "fragments"), plural(f.extents, "extent", "extents"),
		f.ideal, f.holes > 0 and ", " .. plural(f.holes, "hole", "holes") or ""))
end

-- The whole filesystem; its fs:frag_survey table.
local function all(n)
	local progress, clear = report.progress(NAME)
	local ok, r = pcall(fs.frag_survey, fs, { top = n, progress = progress })
	clear()
	if not ok then error(r, 0) end
	print(string.format("Fragmentation of %s: %d inodes in use", fs.image, r.inodes))
	report.print(fs, r)
	return r
end

e2.command{
	name = NAME,
	usage = USAGE,
	help = "Fragments, extents and the ideal of files (-r: under directories, -a: all, -v: runs)",
	example = "frag /var/log/big\nfrag -v /home/alice/notes\nfrag -a\nfrag -j -r /home",
	min = 0, max = -1, needs = "fs", args = "inode",
	-- -j: {files = {ino:frag() with file=...}, total=} or, with -a,
	-- {all = fs:frag_survey()} (doc/json.md)
	json = true,
	run = function(...)
		local o, files = getopt(NAME, USAGE, "varn:", ...)
		if o.a then
			if #files > 0 or o.v or o.r then getopt.usage(NAME, USAGE, "-a takes no files") end
			return { all = all(o.n and getopt.number(NAME, USAGE, o.n, "count", 0, 100000) or 10) }
		end
		if o.n then getopt.usage(NAME, USAGE, "-n goes with -a") end
		if #files == 0 then getopt.usage(NAME, USAGE, "no file given") end
		local single = #files == 1 and not o.r
		local seen, failed, last_err = {}, 0, nil
		local sum = { files = 0, fragmented = 0, fragments = 0, extents = 0, ideal = 0 }
		local list = {}
		local function one(spec, ino)
			if seen[ino.ino] then return end
			seen[ino.ino] = true
			local f = ino:frag{ runs = o.v }
			f.file = spec
			list[#list + 1] = f
			if o.v then print_runs(spec, ino, f) end
			if single then print_block(spec, ino, f) else print_line(spec, f) end
			sum.files = sum.files + 1
			sum.fragmented = sum.fragmented + (f.fragments > 1 and 1 or 0)
			sum.fragments = sum.fragments + f.fragments
			sum.extents = sum.extents + f.extents
			sum.ideal = sum.ideal + f.ideal
		end
		for _, spec in ipairs(files) do
			local ok, err = pcall(function()
				local ino = fs:inode(spec)
				if o.r and ino.type == "directory" then
					for path, i in fs:walk(spec) do
						if i.has_blocks then one(path, i) end
					end
				else
					one(spec, ino)
				end
			end)
			if not ok then
				failed, last_err = failed + 1, err
				if #files > 1 then	-- said now; the command fails at the end
					io.stdout:flush()
					io.stderr:write(NAME, " ", spec, ": ",
						type(err) == "table" and err.message or tostring(err), "\n")
				end
			end
		end
		if not single and sum.files > 1 then
			print(string.format("%s: %d fragmented (%.1f%%), %s, %s (ideal %d)",
				plural(sum.files, "file", "files"), sum.fragmented,
				sum.fragmented * 100 / sum.files, plural(sum.fragments, "fragment", "fragments"),
				plural(sum.extents, "extent", "extents"), sum.ideal))
		end
		if failed == 1 and #files == 1 then error(last_err, 0) end
		return { files = list, total = sum }, failed > 0 and
			string.format("%d of %d files failed (see above)", failed, #files) or nil
	end,
}
