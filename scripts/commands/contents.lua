-- contents.lua -- the commands that read file contents: cat, dump, rdump
-- (as debugfs's) and sum (checksums, as sha256sum prints them).
--
--   e2lua: cat /etc/hostname
--   e2lua: dump -p /etc/passwd passwd.copy
--   e2lua: rdump /etc /tmp/restore
--   e2lua: sum -r /home
--   9f86d08...  /home/u/notes.txt
--
-- The reading is the core's (ino:chunks, ino:dump, ino:rdump, ino:checksum):
-- holes and unwritten extents read as zeros, inline data and fast symlinks
-- as stored, every block pointer checked.  A command given several files
-- goes on past one that fails, reports every failure and fails at the end.

local getopt = require "e2.getopt"

-- Run f(item, keep) for every item; a failure is kept and the next item
-- goes on (f may keep failures of its own with keep(err) and go on too).
-- At the end, raise every failure (one per line) if there was one.
local function each(items, f)
	local errs = {}
	local function keep(err) errs[#errs + 1] = tostring(err) end
	for _, item in ipairs(items) do
		local ok, err = pcall(f, item, keep)
		if not ok then keep(err) end
	end
	if #errs > 0 then error(table.concat(errs, "\n"), 0) end
end

-- f(...)'s first result; an e2.error it raises is raised again as
-- "op object: message" (the bindings name inodes "<12>", and their own op).
local function as(op, object, f, ...)
	local ok, r = pcall(f, ...)
	if ok then return r end
	if type(r) == "table" then r.op, r.object = op, object end
	error(r, 0)
end

-- Write s to the command's output (io.output: stdout, or what e2.run and
-- -j redirect it to); a failure (a closed pipe, a full disk) stops the
-- command rather than reading on for nothing.
local function out(s)
	local ok, err = io.write(s)
	if not ok then error("stdout: " .. tostring(err), 0) end
end

-- The inode at spec; a failure names op ("cat /x: File not found ...").
local function inode(op, spec)
	return as(op, spec, fs.inode, fs, spec)
end

-- The same, refusing a directory.
local function not_dir(op, spec, hint)
	local ino = inode(op, spec)
	if ino.type == "directory" then
		error(e2.error("Is a directory" .. (hint or ""), op, spec), 0)
	end
	return ino
end

e2.command{
	name = "cat",
	usage = "<file>...",
	help = "Print the contents of files (holes read as zeros), as debugfs cat",
	example = "cat /etc/passwd",
	min = 1, max = -1, needs = "fs", args = "inode",
	run = function(...)
		each({ ... }, function(spec)
			local ino = not_dir("cat", spec)
			as("cat", spec, function()
				for s in ino:chunks() do out(s) end
			end)
		end)
		io.output():flush()
		return true
	end,
}

local DUMP_USAGE = "[-p] [-f] <file> <out>"

e2.command{
	name = "dump",
	aliases = { "dump_inode" },
	usage = DUMP_USAGE,
	help = "Copy a file out of the image to a new host file (-p: owner, mode, times; -f: replace OUT)",
	example = "dump -p /etc/passwd passwd.copy",
	min = 2, max = 4, needs = "fs", args = "inode",
	run = function(...)
		local o, a = getopt("dump", DUMP_USAGE, "pf", ...)
		if #a ~= 2 then error("Usage: dump " .. DUMP_USAGE, 0) end
		local ino = not_dir("dump", a[1], " (use rdump)")
		local ok, err = pcall(ino.dump, ino, a[2], { preserve = o.p, force = o.f })
		if not ok then
			if type(err) == "table" and err.code == e2.errors.E2C_ERR_EXISTS then
				err = e2.error(err.message .. "; dump -f replaces it", "dump", a[2])
			elseif type(err) == "table" and err.object ~= a[2] then
				err.object = a[1]	-- the image's side failed
			end
			error(err, 0)
		end
		return true
	end,
}

-- The name rdump gives src under OUT: its last component, as debugfs does
-- ("" for "/": the root's entries go into OUT itself); for "." and ".."
-- the directory's own name.
local function rdump_name(ino, src)
	local base = src:gsub("/+$", ""):match("[^/]*$")
	if src:find("^/+$") then return "" end
	if base == "." or base == ".." then
		local path = ino:path() or ""
		return path:match("[^/]*$")
	end
	return base
end

e2.command{
	name = "rdump",
	usage = "<dir>... <out>",
	help = "Recreate directories (files, symlinks, owners, modes, times) under the host directory OUT",
	example = "rdump /etc restore",
	min = 2, max = -1, needs = "fs", args = "inode",
	run = function(...)
		local argv = { ... }
		local out = table.remove(argv)
		local skipped = 0
		each(argv, function(src, keep)
			local ino = inode("rdump", src)
			local t = ino:rdump(out, rdump_name(ino, src))
			skipped = skipped + t.skipped
			for _, err in ipairs(t.errors) do keep(err) end
		end)
		if skipped > 0 then
			io.stderr:write(string.format("rdump: %d special file%s (device, fifo, " ..
				"socket) not dumped\n", skipped, skipped == 1 and "" or "s"))
		end
		return true
	end,
}

-- A path as sha256sum prints it: with "\\", "\n" or "\r" in it, the line
-- starts with "\\" and those are escaped.
local ESC = { ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r" }
local function sum_line(hash, path)
	if path:find("[\\\n\r]") then
		return "\\" .. hash .. "  " .. path:gsub("[\\\n\r]", ESC) .. "\n"
	end
	return hash .. "  " .. path .. "\n"
end

local SUM_USAGE = "[-a algo] [-j] [-r] <file>..."

e2.command{
	name = "sum",
	usage = SUM_USAGE,
	help = "Checksums of file contents, printed as sha256sum does (-a md5|sha1|sha512|xxh64|..., -r: directories)",
	example = "sum -r /etc\nsum -a xxh128 -j /etc/passwd",
	min = 1, max = -1, needs = "fs", args = "inode",
	-- -j: {algo=, files = {{path=, hash=}...}}, the files that failed
	-- left out (said on stderr)
	json = true,
	run = function(...)
		local o, files = getopt("sum", SUM_USAGE, "a:r", ...)
		if #files == 0 then error("Usage: sum " .. SUM_USAGE, 0) end
		local algo = o.a or "sha256"
		-- An unknown algorithm (or no libcrypto to ask) fails before any
		-- output.
		local known, err = pcall(e2.hash, algo, "")
		if not known then
			if err.code ~= e2.errors.E2C_ERR_UNKNOWN_ALGO then
				error(e2.error(err.message, "sum -a", algo), 0)
			end
			error(e2.error("unknown checksum algorithm (md5, sha1, sha256, sha512, " ..
				"xxh64, xxh128, ...)", "sum -a", algo), 0)
		end
		local done = {}
		local function put(hash, path)
			out(sum_line(hash, path))
			done[#done + 1] = { path = path, hash = hash }
		end
		local ok, err = pcall(each, files, function(spec, keep)
			local ino = inode("sum", spec)
			if ino.type ~= "directory" then
				put(as("sum", spec, ino.checksum, ino, algo), spec)
				return
			end
			if not o.r then
				error(e2.error("Is a directory (sum -r reads directories)", "sum", spec), 0)
			end
			for path, i in fs:walk(spec) do
				if i.type == "regular" or i.type == "symlink" then
					local ok, hash = pcall(as, "sum", path, i.checksum, i, algo)
					if ok then
						put(hash, path)
					else
						keep(hash)
					end
				end
			end
		end)
		io.output():flush()
		return { algo = algo, files = done }, not ok and err or nil
	end,
}
