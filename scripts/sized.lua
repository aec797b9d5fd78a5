-- sized.lua -- migrate files by size, within a budget, in an order:
-- largest first, smallest first, or most fragmented first.
--
--   e2lua -w IMAGE scripts/sized.lua --min-size 1M --order largest \
--         --max-files 100 --keep-free 10 [--dry-run] [--verbose]
--   e2lua: run sized --order fragmented --max-index-blocks 50
--
-- Also takes every criterion of selective.  With --order, the core keeps
-- the planned candidates (only the N + 1 first under --max-files N) and
-- they are staged in order at finish(); without it, in inode order.
-- Budgets stop the run at the first inode that does not fit.

local policy = require "e2.policy"

local opts = policy.options(arg, {
	name = "sized",
	about = "Migrate block-mapped files by size, within a budget, in an order.",
	groups = { "select", "size", "budget", "order" },
})
if not opts then return end		-- --help

local run <close> = policy.runner(fs, opts)
run:select()		-- a scan in the core, or walks for --path
return policy.exit(run:finish())
