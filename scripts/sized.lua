-- sized.lua -- migrate files by size, within a budget, in an order:
-- largest first, smallest first, or most fragmented first.
--
--   e2lua -w IMAGE scripts/sized.lua --min-size 1M --order largest \
--         --max-files 100 --keep-free 10 [--dry-run] [--verbose]
--   e2lua: run sized --order fragmented --max-index-blocks 50
--
-- Also takes every criterion of selective.  With --order, the runner
-- queues the planned candidates and stages them in order at finish();
-- without it, inodes are staged as they come.  Budgets stop the run at the
-- first inode that does not fit.

local policy = require "e2.policy"

local opts = policy.options(arg, {
	name = "sized",
	about = "Migrate block-mapped files by size, within a budget, in an order.",
	groups = { "select", "size", "budget", "order" },
})
if not opts then return end		-- --help

local run <close> = policy.runner(fs, opts)
for inode, path in policy.select(fs, opts) do
	if not run:offer(inode, path) then break end	-- a budget is spent
end
return run:finish()
