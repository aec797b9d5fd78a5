-- e2.policy -- the machinery shared by the migration policies: option
-- parsing, selection, ordering, budgets, batching, progress, the summary
-- and the exit status.  A policy script only says which options it takes
-- and how it loops:
--
--   local policy = require "e2.policy"
--   local opts = policy.options(arg, { name = "mine", groups = { "select" } })
--   if not opts then return end                 -- --help was printed
--   local run <close> = policy.runner(fs, opts) -- rolls back if we fail
--   for path, inode in policy.walk(fs, opts) do
--     if not run:offer(inode, path) then break end   -- false: budget spent
--   end
--   return policy.exit(run:finish())             -- commits, prints; status
--
-- It is the public face of four modules, which can be required alone:
--   e2.policy.options  the options, their checks and parsers, policy.fail
--   e2.policy.glob     the path globs
--   e2.policy.walk     the walks that pick inodes by path (policy.walk)
--   e2.policy.run      the runner, the summary and the exit status
-- doc/policies.md describes every function and option.

local options = require "e2.policy.options"
local glob = require "e2.policy.glob"
local walk = require "e2.policy.walk"
local run = require "e2.policy.run"

return {
	-- options
	options = options.options,
	usage = options.usage,
	check = options.check,
	has_criteria = options.has_criteria,
	fail = options.fail,
	core = options.core,
	parse_size = options.parse_size,
	parse_date = options.parse_date,
	read_list = options.read_list,
	orders = options.orders,
	-- paths
	glob_match = glob.match,
	walk = walk.walk,
	select = function(...)	-- (inode, path): deprecated, walk's order
		options.deprecated("policy.select", "policy.walk")
		return walk.select(...)
	end,
	-- running
	runner = run.runner,
	run = run.run,
	exit = run.exit,
	progress = run.progress,
}
