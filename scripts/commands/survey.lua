-- survey.lua -- the "survey" command: how the files under a directory are
-- mapped, and what migrating them to extents would take.  It is the first
-- thing to run before choosing a migration policy.
--
--   e2lua: survey /home
--   Survey of /home: 1204 inodes
--   type         blockmap  extents   none  inline
--   regular          1150        0      3       0
--   directory          41        0      0       0
--   symlink             2        0      8       0
--   Data in block maps: 81234 blocks in 1193 inodes (3051 fragments)
--   Migratable: 1193 inodes, 1201 extents, 4 index blocks, 310 indirect
--   blocks freed (free blocks +306)
--   Most fragmented:
--        812 /home/u/mail.mbox
--
-- Hard links are counted once.  "none" is an inode without a map (fast
-- symlink, device, fifo, socket); "inline" keeps its data in the inode.

local TYPES = { "regular", "directory", "symlink", "chardev", "blockdev",
	"fifo", "socket" }
local MAPS = { "blockmap", "extents", "none", "inline" }
local TOP = 5

e2.command{
	name = "survey",
	usage = "[dir]",
	help = "How the files under a directory are mapped, and what migrating them would take",
	min = 0, max = 1, needs = "fs", args = "inode",
	run = function(dir)
		dir = dir or "/"
		local count, seen, n = {}, {}, 0
		local data, fragments, inodes = 0, 0, 0
		local mig = { inodes = 0, extents = 0, index_blocks = 0, meta_freed = 0 }
		local worst = {}
		for path, ino in fs:walk(dir) do
			if not seen[ino.ino] then
				seen[ino.ino] = true
				n = n + 1
				local row = count[ino.type] or {}
				count[ino.type] = row
				row[ino.map] = (row[ino.map] or 0) + 1
				if ino.map == "blockmap" then
					local runs = 0
					for _, _, len in ino:runs() do
						runs = runs + 1
						data = data + len
					end
					fragments = fragments + runs
					inodes = inodes + 1
					worst[#worst + 1] = { runs = runs, path = path }
					local p = ino:plan()
					if p.ok then
						mig.inodes = mig.inodes + 1
						mig.extents = mig.extents + p.extents
						mig.index_blocks = mig.index_blocks + p.index_blocks
						mig.meta_freed = mig.meta_freed + p.meta_freed
					end
				end
			end
		end
		print(string.format("Survey of %s: %d inodes", dir, n))
		print(string.format("%-10s %9s %8s %6s %7s", "type", table.unpack(MAPS)))
		for _, t in ipairs(TYPES) do
			local row = count[t]
			if row then
				local cells = {}
				for i, m in ipairs(MAPS) do cells[i] = row[m] or 0 end
				print(string.format("%-10s %9d %8d %6d %7d", t, table.unpack(cells)))
			end
		end
		print(string.format("Data in block maps: %d blocks in %d inodes (%d fragments)",
			data, inodes, fragments))
		print(string.format("Migratable: %d inodes, %d extents, %d index blocks, " ..
			"%d indirect blocks freed (free blocks %+d)", mig.inodes, mig.extents,
			mig.index_blocks, mig.meta_freed, mig.meta_freed - mig.index_blocks))
		table.sort(worst, function(a, b)
			if a.runs ~= b.runs then return a.runs > b.runs end
			return a.path < b.path
		end)
		if #worst > 0 then
			print("Most fragmented:")
			for i = 1, math.min(TOP, #worst) do
				print(string.format("%10d %s", worst[i].runs, worst[i].path))
			end
		end
		return true
	end,
}
