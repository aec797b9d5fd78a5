-- e2.getopt -- the options of the Lua commands, parsed as debugfs parses
-- its own (getopt with a leading "+"): single letters, clustered ("-gv"),
-- a value glued to its letter or in the next argument ("-c64", "-c 64"),
-- "--" ends the options, and so does the first operand.
--
--   local getopt = require "e2.getopt"
--   local o, operands = getopt("freefrag", "[-c chunk_kb] [-g] [group]", "c:g", ...)
--   -- o.c is "64" (a string) or nil; o.g is true or nil
--
-- Long options too, with a table for spec: the letters at [1], and
-- each long name (without its "--") mapped to true (a flag: "--plan"),
-- "value" ("--out=F" or "--out F") or "optional" ("--color", true, or
-- "--color=WHEN", the string):
--
--   local o, files = getopt("map", USAGE, { "w:a", plan = true, color = "optional" }, ...)
--
-- A letter or name not in the spec, a missing value or an option given
-- twice raises an e2.error "CMD: ... / Usage: CMD USAGE", worded as the
-- shell's own commands word it ("unknown option '-x'"), printed without a
-- traceback.
local e2 = require "e2"

local M = {}

-- Fail the way the shell's own commands do on a usage error.
function M.usage(cmd, usage, fmt, ...)
	error(e2.error(string.format(fmt, ...) .. "\nUsage: " .. cmd .. " " .. usage, cmd))
end

-- s as a whole number (decimal, or 0x hex) within [min, max]; what names
-- it in the message.
function M.number(cmd, usage, s, what, min, max)
	s = tostring(s)
	local n = (s:match("^%d+$") or s:match("^0[xX]%x+$")) and math.tointeger(tonumber(s))
	if not n or n < min or (max and n > max) then
		M.usage(cmd, usage, "bad %s '%s'", what, s)
	end
	return n
end

-- "--name[=value]" at args[i], into opts; returns the next index.
local function long_option(cmd, usage, longs, opts, args, i)
	local a = args[i]
	local name, eq, v = a:match("^%-%-([^=]+)(=?)(.*)$")
	local kind = name and longs[name]
	if not kind then M.usage(cmd, usage, "unknown option '%s'", a) end
	if opts[name] ~= nil then M.usage(cmd, usage, "option '--%s' given twice", name) end
	if kind == true and eq ~= "" then M.usage(cmd, usage, "option '--%s' takes no value", name) end
	if kind == "value" and eq == "" then
		i = i + 1
		v = args[i]
		if v == nil then M.usage(cmd, usage, "option '--%s' needs an argument", name) end
	end
	opts[name] = (kind == "value" or eq ~= "") and v or true
	return i + 1
end

function M.parse(cmd, usage, spec, ...)
	local args = table.pack(...)
	local opts, i = {}, 1
	local longs = type(spec) == "table" and spec or {}
	spec = type(spec) == "table" and (spec[1] or "") or spec
	while i <= args.n do
		local a = args[i]
		if a == "--" then
			i = i + 1
			break
		end
		if a:sub(1, 1) ~= "-" or #a == 1 then break end
		if a:sub(2, 2) == "-" then
			i = long_option(cmd, usage, longs, opts, args, i)
			goto next
		end
		local k = 2
		while k <= #a do
			local l = a:sub(k, k)
			local at = spec:find(l, 1, true)
			if not at or l == ":" then M.usage(cmd, usage, "unknown option '-%s'", l) end
			if opts[l] ~= nil then M.usage(cmd, usage, "option '-%s' given twice", l) end
			if spec:sub(at + 1, at + 1) == ":" then
				local v = a:sub(k + 1)
				if v == "" then
					i = i + 1
					v = args[i]
					if v == nil then M.usage(cmd, usage, "option '-%s' needs an argument", l) end
				end
				opts[l] = v
				break
			end
			opts[l] = true
			k = k + 1
		end
		i = i + 1
		::next::
	end
	return opts, { table.unpack(args, i, args.n) }
end

return setmetatable(M, { __call = function(_, ...) return M.parse(...) end })
