-- frag.lua -- the "frag" command: how fragmented files' data is.
--
--   e2lua: frag /var/log/syslog
--   File: /var/log/syslog   Inode: 1234   Map: block map
--   Data blocks: 5000
--   Fragments: 7
--   Extents needed: 7
--   Ideal extents: 1
--   Contiguous: no
--
-- Fragments are the coalesced data runs of ino:runs() (logically and
-- physically contiguous, same written/unwritten state; holes split runs).
-- "Extents needed" is what an extent tree must hold for those runs: each run
-- split at the extent length limit (32768 blocks, 32767 when unwritten).
-- "Ideal extents" is what the same data would need if it were one run:
-- ceil(blocks / 32768).  Extent-mapped files also show the extents they have
-- now and the depth of their tree.

local MAX_LEN, MAX_UNINIT_LEN = 32768, 32767

local function ceil_div(a, b) return (a + b - 1) // b end

local function frag(spec)
	local ino = fs:inode(spec)
	local blocks, runs, needed = 0, 0, 0
	for _, _, len, uninit in ino:runs() do
		blocks = blocks + len
		runs = runs + 1
		needed = needed + ceil_div(len, uninit and MAX_UNINIT_LEN or MAX_LEN)
	end
	local map = "none"
	if ino.extent_mapped then
		map = string.format("extent tree, depth %d", ino:tree().depth)
	elseif ino.inline then
		map = "inline data"
	elseif ino.has_blocks then
		map = "block map"
	end
	print(string.format("File: %s   Inode: %d   Map: %s", spec, ino.ino, map))
	print(string.format("Data blocks: %d", blocks))
	print(string.format("Fragments: %d", runs))
	print(string.format("Extents needed: %d", needed))
	if ino.extent_mapped then
		local now = 0
		for e in ino:extents() do
			if e.leaf and e.len > 0 then now = now + 1 end
		end
		print(string.format("Extents now: %d", now))
	end
	print(string.format("Ideal extents: %d", ceil_div(blocks, MAX_LEN)))
	print(string.format("Contiguous: %s", runs <= 1 and "yes" or "no"))
end

e2.command{
	name = "frag",
	usage = "<file>...",
	help = "Fragments (data runs) of files, the extents they need and the ideal count",
	min = 1, max = -1, needs = "fs", args = "inode",
	run = function(...)
		local files = { ... }
		if #files == 1 then return frag(files[1]) end
		-- several: each in turn; a failure is said and the others go on
		local failed = 0
		for _, spec in ipairs(files) do
			local ok, err = pcall(frag, spec)
			if not ok then
				failed = failed + 1
				io.stdout:flush()
				io.stderr:write("frag ", spec, ": ",
					type(err) == "table" and err.message or tostring(err), "\n")
			end
		end
		if failed > 0 then
			error(string.format("%d of %d files failed (see above)", failed, #files), 0)
		end
	end,
}
