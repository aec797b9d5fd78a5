-- survey.lua -- the "survey" command: how the files are mapped, what
-- migrating them to extents would take, and how fragmented they are.  It
-- is the first thing to run before choosing a migration policy.
--
--   e2lua: survey
--   Survey of the filesystem: 1204 inodes (and 11 reserved)
--   type         blockmap  extents   none  inline
--   regular          1150        0      3       0
--   directory          41        0      0       0
--   symlink             2        0      8       0
--   Data in block maps: 81234 blocks in 1193 inodes, 310 indirect blocks
--   Migratable: 1193 inodes, 1201 extents, 4 index blocks, 310 indirect
--   blocks freed (free blocks +306)
--     feature: extent would be turned on: kernels without ext4 support ...
--   Fragmentation: 1193 files with data, 12 fragmented (1.0%): ...
--   ...
--   Most fragmented:
--      fragments    extents      ideal  data blocks  path
--            812        812          1          812  /home/u/mail.mbox
--
-- Without a directory it scans every inode in C (the reserved ones, such
-- as the journal, only count in e2fsck's figure); "survey DIR" looks at
-- the files under DIR.  Hard links are counted once.  "none" is an inode
-- without a map (fast symlink, device, fifo, socket); "inline" keeps its
-- data in the inode.  -n N lists the N most fragmented (default 5).
-- The migration figures come from the same selection migrate-all.lua
-- makes; the fragmentation report is frag -a's (e2.fragreport).

local getopt = require "e2.getopt"
local report = require "e2.fragreport"

local NAME, USAGE = "survey", "[-j] [-n N] [dir]"
local TYPES = { "regular", "directory", "symlink", "chardev", "blockdev",
	"fifo", "socket", "unknown" }
local MAPS = { "blockmap", "extents", "none", "inline" }

e2.command{
	name = NAME,
	usage = USAGE,
	help = "How the files are mapped, what migrating them would take, how fragmented they are",
	example = "survey /home\nsurvey -j -n 3",
	min = 0, max = 3, needs = "fs", args = "inode",
	-- -j: {dir=, survey = fs:frag_survey(), migratable=} (doc/json.md)
	json = true,
	run = function(...)
		local o, operands = getopt(NAME, USAGE, "n:", ...)
		local top = o.n and getopt.number(NAME, USAGE, o.n, "count", 0, 100000) or 5
		if #operands > 1 then getopt.usage(NAME, USAGE, "too many arguments") end
		local dir = operands[1]
		local sel <close> = fs:select{}
		local opts = { top = top }
		if dir then
			-- The inodes under dir, each once.
			local list, seen = {}, {}
			for _, ino in fs:walk(dir) do
				if not seen[ino.ino] then
					seen[ino.ino] = true
					list[#list + 1] = ino.ino
					sel:offer(ino)
				end
			end
			opts.inodes = list
		else
			repeat until sel:scan { max = 65536 }
		end
		local progress, clear = report.progress(NAME)
		opts.progress = progress
		local ok, r = pcall(fs.frag_survey, fs, opts)
		clear()
		if not ok then error(r, 0) end

		local counted = 0
		for _, t in ipairs(TYPES) do
			for _, m in ipairs(MAPS) do counted = counted + r.types[t][m] end
		end
		if dir then
			print(string.format("Survey of %s: %d inodes", dir, counted))
		else
			print(string.format("Survey of the filesystem: %d inodes (and %d reserved)",
				counted, r.inodes - counted))
		end
		print(string.format("%-10s %9s %8s %6s %7s", "type", table.unpack(MAPS)))
		for _, t in ipairs(TYPES) do
			local row, cells, any = r.types[t], {}, false
			for i, m in ipairs(MAPS) do
				cells[i] = row[m]
				any = any or row[m] > 0
			end
			if any then print(string.format("%-10s %9d %8d %6d %7d", t, table.unpack(cells))) end
		end
		local b = r.blockmap
		print(string.format("Data in block maps: %d blocks in %d inodes, %d indirect blocks",
			b.data_blocks, b.files, b.indirect_blocks))
		local m = sel:totals()
		print(string.format("Migratable: %d inodes, %d extents, %d index blocks, " ..
			"%d indirect blocks freed (free blocks %+d)", m.files, m.extents,
			m.index_blocks, m.meta_freed, m.meta_freed - m.index_blocks))
		-- what migrating them would do besides (the extent feature)
		for _, line in ipairs(e2.effect_lines(m, "would")) do print("  " .. line) end
		report.print(fs, r)
		return { dir = dir, survey = r, migratable = { inodes = m.files,
			data_blocks = m.data_blocks, extents = m.extents, index_blocks = m.index_blocks,
			meta_freed = m.meta_freed, used_delta = m.used_delta,
			uninit_freed = 0, unmigrated = 0,	-- migrations only
			features_on = m.features_on, features_off = m.features_off,
			backups_rewritten = m.backups_rewritten, marks_not_clean = m.marks_not_clean } }
	end,
}
