-- e2.getopt -- the options of the Lua commands, parsed as debugfs parses
-- its own (getopt with a leading "+"): single letters, clustered ("-gv"),
-- a value glued to its letter or in the next argument ("-c64", "-c 64"),
-- "--" ends the options, and so does the first operand.
--
--   local getopt = require "e2.getopt"
--   local o, operands = getopt("freefrag", "[-c chunk_kb] [-g] [group]", "c:g", ...)
--   -- o.c is "64" (a string) or nil; o.g is true or nil
--
-- A letter not in the spec, a missing value or a letter given twice
-- raises an e2.error "CMD: ... / Usage: CMD USAGE", worded as the shell's
-- own commands word it ("unknown option '-x'"), printed without a
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

function M.parse(cmd, usage, spec, ...)
	local args = table.pack(...)
	local opts, i = {}, 1
	while i <= args.n do
		local a = args[i]
		if a == "--" then
			i = i + 1
			break
		end
		if a:sub(1, 1) ~= "-" or #a == 1 then break end
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
	end
	return opts, { table.unpack(args, i, args.n) }
end

return setmetatable(M, { __call = function(_, ...) return M.parse(...) end })
