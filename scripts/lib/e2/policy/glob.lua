-- e2.policy.glob -- the policies' path globs: "*", "?" and "[...]" match
-- within one name (never "/"), "**" matches anything, "/" included, and
-- "**/" right after a "/" (or at the start) also matches no directory at
-- all ("/a/**/b" matches "/a/b").  Part of e2.policy (doc/policies.md).
--
-- A pattern is compiled once into tokens, then matched without recursion:
-- on a mismatch only the last "*" is retried one character further (or,
-- when it would have to swallow a "/", the last "**"), so a match costs
-- at most (pattern length) x (path length) steps however many stars the
-- pattern has.  Retrying only the last star is enough because each piece
-- between stars is best matched as early as possible: a later match of
-- it leaves less of the path to the rest.

local M = {}

local byte, find = string.byte, string.find

local LIT, ANY, CLASS, STAR, DSTAR = 1, 2, 3, 4, 5
local SLASH = byte("/")

-- The bracket expression starting at p[i] (just after "["): a class
-- {neg=, {lo, hi}...} and the index after "]", or nil if unterminated.
-- "!" or "^" first negates; "]" first is literal; "a-z" is a range.
local function parse_class(p, i)
	local cls = { neg = false }
	local c = p:sub(i, i)
	if c == "!" or c == "^" then cls.neg, i = true, i + 1 end
	local first = true
	while i <= #p do
		c = byte(p, i)
		if c == byte("]") and not first then return cls, i + 1 end
		first = false
		if p:sub(i + 1, i + 1) == "-" and i + 2 <= #p and p:sub(i + 2, i + 2) ~= "]" then
			cls[#cls + 1] = { c, byte(p, i + 2) }
			i = i + 3
		else
			cls[#cls + 1] = { c, c }
			i = i + 1
		end
	end
	return nil
end

local function class_hit(cls, b)
	for k = 1, #cls do
		if b >= cls[k][1] and b <= cls[k][2] then return not cls.neg end
	end
	return cls.neg
end

-- Compile pattern p into {kind = {...}, arg = {...}}: per token its kind
-- and argument (a byte, a class, or for "**" whether it is a "**/" that
-- may match no directory; that token takes the "/" with it).
function M.compile(p)
	local kind, arg = {}, {}
	local i = 1
	while i <= #p do
		local c = p:sub(i, i)
		local n = #kind + 1
		if c == "*" and p:sub(i + 1, i + 1) == "*" then
			local dirs = p:sub(i + 2, i + 2) == "/" and (i == 1 or p:sub(i - 1, i - 1) == "/")
			kind[n], arg[n] = DSTAR, dirs
			i = i + (dirs and 3 or 2)
		elseif c == "*" then
			kind[n], i = STAR, i + 1
		elseif c == "?" then
			kind[n], i = ANY, i + 1
		else
			local cls, after = nil, nil
			if c == "[" then cls, after = parse_class(p, i + 1) end
			if cls then
				kind[n], arg[n], i = CLASS, cls, after
			else		-- a literal, "[" without "]" too
				kind[n], arg[n], i = LIT, byte(c), i + 1
			end
		end
	end
	return { kind = kind, arg = arg }
end

local cache = setmetatable({}, { __mode = "v" })

-- Does path s match glob p (a pattern string, or compiled by M.compile)?
function M.match(p, s)
	local g = p
	if type(p) == "string" then
		g = cache[p] or M.compile(p)
		cache[p] = g
	end
	local kind, arg, len = g.kind, g.arg, #s
	local i, j = 1, 1		-- token, character
	local si, sj = 0, 0		-- after the last "*": token, where it ends
	local di, dj, dirs = 0, 0, false	-- the same for the last "**"
	while true do
		local k = kind[i]
		if k == STAR then
			si, sj, i = i + 1, j, i + 1
		elseif k == DSTAR then
			di, dj, dirs, si, i = i + 1, j, arg[i], 0, i + 1
		else
			local ok = false
			if k and j <= len then
				local b = byte(s, j)
				if k == LIT then
					ok = b == arg[i]
				elseif b ~= SLASH then
					ok = k == ANY or class_hit(arg[i], b)
				end
			end
			if ok then
				i, j = i + 1, j + 1
			elseif not k and j > len then
				return true
			elseif si > 0 and sj <= len and byte(s, sj) ~= SLASH then
				sj = sj + 1		-- the last "*" takes one more
				i, j = si, sj
			elseif di > 0 and dj <= len then
				if dirs then		-- "**/": up to and with the next "/"
					local slash = find(s, "/", dj, true)
					if not slash then return false end
					dj = slash + 1
				else
					dj = dj + 1
				end
				i, j, si = di, dj, 0
			else
				return false
			end
		end
	end
end

-- True if s contains glob characters.
function M.is_glob(s)
	return find(s, "[%*%?%[]") ~= nil
end

return M
