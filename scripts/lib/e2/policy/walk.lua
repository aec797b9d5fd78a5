-- e2.policy.walk -- which inodes a policy's paths and filter pick: the
-- patterns made absolute, the fewest directories to walk, each inode once
-- (policy.walk; policy.select, deprecated).  Part of e2.policy (doc/policies.md).

local glob = require "e2.policy.glob"
local options = require "e2.policy.options"

local core = options.core	-- the core's e2.errors: messages for the user

local M = {}

-- Clean an absolute path: no "//", ".", "..", or trailing "/".
local function clean(path)
	local parts = {}
	for c in path:gmatch("[^/]+") do
		if c == ".." then parts[#parts] = nil
		elseif c ~= "." then parts[#parts + 1] = c end
	end
	return "/" .. table.concat(parts, "/")
end

-- Is path equal to, or under, directory prefix (both clean)?
local function under(path, prefix)
	return prefix == "/" or path == prefix or path:sub(1, #prefix + 1) == prefix .. "/"
end

-- Compile patterns into {match=function(path), roots={...}}: the
-- patterns made absolute (relative ones start at the fs's cwd), and the
-- fewest directories whose walks cover every possible match.
local function compile_paths(fs, patterns, name)
	local cwd = core(fs.path, fs, fs:cwd()) or "/"
	local pats, roots = {}, {}
	for _, p in ipairs(patterns) do
		local abs = p:sub(1, 1) == "/" and p or cwd .. "/" .. p
		local root, pat = abs, nil
		if glob.is_glob(abs) then
			-- the literal directories before the first wildcard
			root = abs:sub(1, abs:find("[%*%?%[]")):match("^(.*)/") or "/"
			pat = glob.compile((abs:gsub("//+", "/")))
		end
		root = clean(root)
		if not core(fs.lookup, fs, root) then
			options.fail(name, "--path %s: %s not found in %s", p, root, fs.image)
		end
		pats[#pats + 1] = pat or clean(abs)
		roots[#roots + 1] = root
	end
	table.sort(roots)
	local minimal = {}
	for _, r in ipairs(roots) do
		if #minimal == 0 or not under(r, minimal[#minimal]) then minimal[#minimal + 1] = r end
	end
	local function match(path)
		for _, pat in ipairs(pats) do
			if type(pat) == "table" then
				if glob.match(pat, path) then return true end
			elseif under(path, pat) then
				return true
			end
		end
		return false
	end
	return { match = match, roots = minimal }
end

-- Iterate (inode, path) over the inodes opts' paths and opts.filter pick
-- (the criteria on inode fields are the runner's, applied in C).  Without
-- paths it is the sequential inode scan (path is nil); with them, walks
-- of the directories the patterns start from, each inode once.  A
-- generic-for iterator: leaving the loop early closes the walk.
function M.select(fs, opts)
	options.check(opts)
	local filter = opts.filter
	if not opts.paths then
		-- the scan's errors are the user's messages; the filter is
		-- called here, not by the core, so a bug in it keeps its
		-- traceback
		local scan, cursor = fs:inodes()
		return function()
			while true do
				local inode = core(scan, cursor)
				if not inode or not filter or filter(inode) then return inode end
			end
		end, nil, nil, cursor
	end
	local paths = compile_paths(fs, opts.paths, opts.name or "policy")
	local seen = {}		-- hard links: each inode once
	local function wanted(path, inode)
		if not paths.match(path) or (filter and not filter(inode, path)) then
			return false
		end
		if inode.type ~= "directory" and inode.links > 1 then
			if seen[inode.ino] then return false end
			seen[inode.ino] = true
		end
		return true
	end
	local r, walk, state, cursor, last = 0, nil, nil, nil, nil	-- root index, current walk
	local function step()
		while true do
			if walk then
				local path, inode = core(walk, state, last)
				last = path
				if path == nil then
					walk, state, cursor = nil, nil, nil	-- a finished walk closes itself
				elseif wanted(path, inode) then
					return inode, path
				end
			else
				r = r + 1
				local root = paths.roots[r]
				if not root then return nil end
				local top = core(fs.inode, fs, root)
				if top.type ~= "directory" then
					if wanted(root, top) then return top, root end
				else
					walk, state, last, cursor = core(fs.walk, fs, root)
				end
			end
		end
	end
	return step, nil, nil, setmetatable({}, { __close = function()
		if cursor then cursor:close() end
	end })
end

-- The same as (path, inode), the order of fs:walk; without paths (the
-- inode scan) the path is "<N>", the name fs:inode takes for inode N.
function M.walk(fs, opts)
	local step, _, _, closing = M.select(fs, opts)
	return function()
		local inode, path = step()
		if inode == nil then return nil end
		return path or "<" .. inode.ino .. ">", inode
	end, nil, nil, closing
end

return M
