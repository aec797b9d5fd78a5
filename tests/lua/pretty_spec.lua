-- pretty_spec.lua -- e2.pretty (what the prompt shows for =expr) and
-- e2.json (what -j prints): layout, order, limits, cycles, userdata with
-- fields, and the JSON rules of doc/json.md, under a stock lua5.4.
-- images: ext3:1024
local t = require "spec"
local e2 = require "e2"
local fs <close> = e2.open(arg[1])

local P = e2.pretty

-- ---- e2.pretty --------------------------------------------------------

-- scalars: as Lua literals
t.eq(P(12), "12", "integer")
t.eq(P(1.5), "1.5", "float")
t.eq(P(nil), "nil", "nil")
t.eq(P(true), "true", "boolean")
t.eq(P("a\n\"b\\\0c\1272"), [["a\n\"b\\\000c\1272"]], "string quoted, control bytes as \\ddd")
t.eq(P("caf\xc3\xa9"), '"caf\xc3\xa9"', "UTF-8 as it is")

-- tables: array part, then the other keys sorted (numbers, strings,
-- booleans, the rest); one line when they fit
t.eq(P({}), "{}", "empty table")
t.eq(P({ 1, 2, 3 }), "{ 1, 2, 3 }", "array on one line")
t.eq(P({ b = 1, a = 2, [3] = "x", [1.5] = 0, [true] = 1, ["a b"] = 2, ["end"] = 3 }),
	'{ [1.5] = 0, [3] = "x", a = 2, ["a b"] = 2, b = 1, ["end"] = 3, [true] = 1 }',
	"keys sorted by kind then value; names bare, other keys bracketed (keywords too)")
t.eq(P({ 1, 2, nil, 4 }), "{ 1, 2, [4] = 4 }", "a hole ends the array part")
t.eq(P({ [{ 1 }] = "k" }), '{ [{ 1 }] = "k" }', "a table as a key")

-- sorting is stable across runs: byte order, not locale or hash order
local keys = {}
for i = 1, 200 do keys["k" .. string.format("%03d", (i * 37) % 200)] = i end
local s = P(keys, { keys = 1000 })
local last = ""
for k in s:gmatch("(k%d%d%d) =") do
	t.check(k > last, "sorted: %s after %s", k, last)
	last = k
end
t.eq(s, P(keys, { keys = 1000 }), "the same text twice")

-- too wide: one entry a line, short scalars of an array filling lines
local wide = P({ alpha = string.rep("a", 40), beta = string.rep("b", 40) })
t.eq(wide, '{\n  alpha = "' .. string.rep("a", 40) .. '",\n  beta = "' .. string.rep("b", 40) .. '",\n}',
	"one key a line")
local nums = {}
for i = 1, 30 do nums[i] = i * 1000 end
local filled = P(nums)
t.check(filled:find("\n", 1, true) ~= nil, "30 numbers do not fit one line")
for line in filled:gmatch("[^\n]+") do
	t.check(#line <= 80, "a filled line fits the width: [%s]", line)
end
t.check(select(2, filled:gsub("\n", "")) < 10, "numbers share lines: %s", filled)
t.eq(P(nums, { width = 1000 }):find("\n"), nil, "a wider width: one line")
t.eq(P({ x = { y = 1 } }, { indent = 4, width = 5 }), "{\n    x = {\n        y = 1,\n    },\n}", "indent")

-- depth: deeper tables as {...} (empty ones are still {})
local deep = { a = { b = { c = { d = { e = 1 } } } } }
t.eq(P(deep), "{ a = { b = { c = { d = {...} } } } }", "default depth 4")
t.eq(P(deep, { depth = 1 }), "{ a = {...} }", "depth 1")
t.eq(P(deep, { depth = 0 }), "{...}", "depth 0")
t.eq(P({ {} }, { depth = 1 }), "{ {} }", "an empty table at the limit is {}")
-- nesting far deeper than the limit costs nothing
local chain = {}
for _ = 1, 100000 do chain = { chain } end
t.eq(P(chain, { depth = 2 }), "{ { {...} } }", "a 100000-deep chain")

-- long arrays and maps are cut with a count
local big = {}
for i = 1, 1000000 do big[i] = i end
local cut = P(big)
t.check(cut:find("... 999900 more,", 1, true) ~= nil, "a million elements: 100 shown: %s", cut:sub(-60))
t.check(#cut < 2000, "a million elements print short (%d bytes)", #cut)
t.check(P(big, { items = 3 }):find("{ 1, 2, 3, ... 999997 more }", 1, true) ~= nil, "items = 3")
local map = {}
for i = 1, 5000 do map["k" .. i] = i end
local m = P(map, { keys = 2 })
t.eq(m, "{ k1 = 1, k10 = 10, ... 4998 more keys }", "keys = 2")

-- cycles and shared tables: numbered where first written
local c = { name = "c" }
c.self = c
t.eq(P(c), '<1>{ name = "c", self = <table 1> }', "a table containing itself")
local shared = { 1 }
t.eq(P({ a = shared, b = shared }), "{ a = <1>{ 1 }, b = <table 1> }", "a table met twice")
local x, y = {}, {}
x.y, y.x = y, x
t.eq(P(x), "<1>{ y = { x = <table 1> } }", "a cycle of two")
t.eq(P({ [c] = 1 }), '{ [<1>{ name = "c", self = <table 1> }] = 1 }', "a cycle in a key")

-- userdata with __fields: tostring and the fields
local ino = fs:inode(2)
local pi = P(ino)
t.check(pi:find("^e2%.inode <2> %(directory, blockmap%) {\n") ~= nil, "inode header: %s", pi:sub(1, 60))
t.check(pi:find('\n  type = "directory",\n', 1, true) ~= nil, "inode fields shown")
t.check(pi:find("\n  ino = 2,\n", 1, true) ~= nil, "inode number field")
t.check(not pi:find("function"), "no methods among the fields")
t.check(P(fs, { depth = 1 }):find("\n  super = {...},\n", 1, true) ~= nil, "fs fields, super cut at depth 1")
t.eq(P({ fs.super.magic }), "{ 61267 }", "a superblock field")
t.check(P(fs.super):find("\n  blocks_count = %d+,\n") ~= nil, "fs.super reads as its fields")
local f2 = e2.open(arg[1])
f2:close()
t.eq(P(f2), "e2.fs (closed)", "a closed fs: its tostring alone")
t.check(P(io.stdout):find("^file %(0x") ~= nil, "other userdata: tostring")
t.check(P(print):find("^builtin: ") or P(print):find("^function: "), "functions: tostring")

-- options
t.raises(function() P(1, { colour = true }) end, "e2.pretty: unknown option 'colour'", "unknown option")
t.raises(function() P(1, { depth = -1 }) end, "option 'depth' must be an integer", "bad depth")
t.raises(function() P(1, { width = "x" }) end, "option 'width' must be an integer", "bad width")
t.raises(function() e2.pretty() end, "bad argument #1 to 'pretty'", "no value")
t.raises(function() P(1, {}, 3) end, "bad argument #3", "too many arguments")

-- ---- e2.json ------------------------------------------------------------

local J = e2.json
t.eq(J({ b = 1, a = { 3, 2, 1 }, c = "x" }), '{"a":[3,2,1],"b":1,"c":"x"}', "keys sorted, compact")
t.eq(J({ n = math.maxinteger, m = math.mininteger, big = 1 << 62 }),
	'{"big":4611686018427387904,"m":-9223372036854775808,"n":9223372036854775807}', "64-bit integers exact")
t.eq(J(1.5), "1.5", "a float")
t.eq(J(true), "true", "a boolean at the top")
t.eq(J({}), "[]", "an empty table is an array")
t.eq(J(setmetatable({}, { __json = "object" })), "{}", "unless marked an object")
t.eq(J({ [1] = "a", [3] = "c" }), '{"1":"a","3":"c"}', "a sparse array is an object, keys in decimal")
t.eq(J({ 1, 2, x = 3 }), '{"1":1,"2":2,"x":3}', "mixed keys: an object")
t.eq(J("a\"\\\n\0\1/é"), '"a\\"\\\\\\n\\u0000\\u0001/é"', "escapes by jansson")
t.eq(J({ name = "caf\xe9" }), '{"name":"caf\xef\xbf\xbd","name_base64":"Y2Fm6Q=="}',
	"not UTF-8: U+FFFD and the exact bytes in base64")
t.eq(J({ "\xff\xfe" }), '["\xef\xbf\xbd\xef\xbf\xbd"]', "not UTF-8 in an array: U+FFFD only")
t.eq(J({ s = "\xed\xa0\x80" }), '{"s":"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd","s_base64":"7aCA"}',
	"a surrogate's encoding is not UTF-8")
t.eq(J({ s = "\xc0\xaf" }), '{"s":"\xef\xbf\xbd\xef\xbf\xbd","s_base64":"wK8="}', "an overlong form is not UTF-8")
t.eq(J({ a = 1 }, { indent = 2 }), '{\n  "a": 1\n}', "indent")
t.raises(function() J({ f = print }) end, "e2.json: cannot encode a function (at .f)", "a function")
t.raises(function() J({ a = { [2] = { 0 / 0 } } }) end, "cannot encode NaN or an infinity (at .a[2][1])", "NaN")
t.raises(function() J(math.huge) end, "cannot encode NaN or an infinity", "infinity")
t.raises(function() J({ [1.5] = 1 }) end, "a key of type number (object keys are strings or integers) (at [1.5])", "float key")
t.raises(function() J({ [true] = 1 }) end, "a key of type boolean", "boolean key")
t.raises(function() J({ [1] = 1, ["1"] = 2 }) end, "key '1' given twice", "1 and \"1\"")
t.raises(function() J(c) end, "e2.json: a table contains itself (a cycle) (at .self)", "a cycle")
t.eq(J({ a = shared, b = shared }), '{"a":[1],"b":[1]}', "a shared table is no cycle")
t.raises(function() J(chain) end, "nested too deep (more than 100 levels)", "too deep")
t.raises(function() J(coroutine.create(print)) end, "cannot encode a thread", "a thread")
t.raises(function() J(io.stdout) end, "cannot encode a userdata", "userdata without fields")
t.raises(function() J(1, { pretty = true }) end, "e2.json: unknown option 'pretty'", "unknown option")
t.raises(function() J(1, { indent = 99 }) end, "option 'indent' must be an integer from 0 to 31", "bad indent")
local ij = J(ino)
t.check(ij:find('"ino":2', 1, true) and ij:find('"type":"directory"', 1, true), "an inode as its fields: %s", ij)
t.eq(J(fs.super).blocks_count, nil, "a string comes back")
local sup = J({ features = fs.super.features })
t.check(sup:find('"has_journal":true', 1, true) ~= nil, "the feature set: %s", sup)
-- a huge array goes through
local hj = J(big)
t.eq(#hj, #table.concat(big, ",") + 2, "a million integers")
t.done()
