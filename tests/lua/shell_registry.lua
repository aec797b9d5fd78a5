-- shell_registry.lua -- the command registry as e2lua publishes it
-- (e2.command, e2.commands); run by t_cli_commands.sh as an e2lua script
-- (arg[0] is this file), not by a stock lua5.4, which has no commands.
local t = require "spec"

t.eq(type(e2.commands), "table", "e2.commands")
local run = function() return true end
local d = e2.command { example = "ex", name = "spec_cmd", aliases = { "sc", "spc" }, usage = "<file>",
	help = "a test command", min = 1, max = 2, needs = "fs", args = "inode", run = run }
t.eq(e2.commands.spec_cmd, d, "registered under its name")
t.eq(e2.commands.sc, d, "registered under an alias")
t.eq(d.source, arg[0], "source is the declaring chunk")
t.eq(d.min .. "/" .. d.max .. "/" .. d.needs .. "/" .. d.args, "1/2/fs/inode", "fields")
local d2 = e2.command { example = "ex", name = "spec_min", run = run, min = 1 }
t.eq(d2.max .. d2.usage .. d2.help .. d2.needs .. d2.args .. #d2.aliases, "10", "defaults")
t.eq(d2.example, "ex", "the example is kept")
t.eq(d2.json, nil, "no json unless asked")
t.raises(function() e2.command { example = "ex", name = "spec_cmd", run = run } end, "command 'spec_cmd' is already defined", "duplicate name")
t.raises(function() e2.command { example = "ex", name = "x1", aliases = { "sc" }, run = run } end, "command 'sc' is already defined", "duplicate alias")
t.eq(e2.commands.x1, nil, "failed registration leaves nothing")
t.raises(function() e2.command { example = "ex", name = "x2", aliases = { "y", "y" }, run = run } end, "given twice", "alias twice")
t.raises(function() e2.command { example = "ex", name = "x3", run = run, colour = 1 } end, "unknown option 'colour'", "unknown key")
t.raises(function() e2.command { example = "ex", name = "x4" } end, "field 'run' must be a function", "no run")
t.raises(function() e2.command { example = "ex", name = "x 5", run = run } end, "contains blanks", "blank in name")
t.raises(function() e2.command { example = "ex", run = run } end, "field 'name' must be a string", "no name")
t.raises(function() e2.command { example = "ex", name = "x6", needs = "root", run = run } end, "bad needs 'root'", "bad needs")
t.raises(function() e2.command { example = "ex", name = "x7", args = "path", run = run } end, "bad args 'path'", "bad args")
t.raises(function() e2.command { example = "ex", name = "x8", min = 3, max = 1, run = run } end, "bad argument counts", "max < min")
t.raises(function() e2.command { example = "ex", name = "x9", aliases = "a", run = run } end, "aliases' must be an array", "aliases type")
t.raises(function() e2.command("x") end, "bad argument #1 to 'command' (table expected", "command type")
t.raises(function() e2.command { name = "x10", run = run } end, "field 'example' must be a non-empty string", "no example")
t.raises(function() e2.command { name = "x11", example = "", run = run } end, "field 'example' must be a non-empty string", "empty example")
t.raises(function() e2.command { name = "x12", example = 5, run = run } end, "field 'example' must be a string, got number", "example type")
t.raises(function() e2.command { example = "ex", name = "x13", run = run, json = "yes" } end, "field 'json' must be true or a function", "json type")
t.eq(e2.command { example = "ex", name = "spec_j1", run = run, json = true }.json, true, "json = true")
local jf = function() return {} end
t.eq(e2.command { example = "ex", name = "spec_j2", run = run, json = jf }.json, jf, "json function")
t.eq(e2.command { example = "ex", name = "spec_j3", run = run, json = false }.json, nil, "json = false: none")
for name, d in pairs(e2.commands) do
	t.check(type(d.example) == "string" and d.example ~= "", "every command has an example: %s", name)
end
local d3 = e2.command { example = "ex", name = "spec_any", min = 0, max = -1, run = run }
t.eq(d3.max, -1, "unlimited arguments")
t.done()
