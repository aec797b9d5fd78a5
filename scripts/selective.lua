-- selective.lua -- migrate the inodes that match every criterion given:
-- paths (prefixes or globs, or a list in a file), file type, owner, mtime,
-- current fragmentation.
--
--   e2lua -w IMAGE scripts/selective.lua --path /home --type regular \
--         --mtime-before 2020-01-01 --min-runs 8 [--dry-run] [--verbose]
--   e2lua: run selective --path '/var/**/*.log' --dry-run
--
-- Paths are matched by walks in Lua; the criteria on inode fields and the
-- fragmentation (which needs the plan) are applied by the core.

local policy = require "e2.policy"

local opts = policy.options(arg, {
	name = "selective",
	about = "Migrate the block-mapped inodes that match every criterion given.",
	groups = { "select" },
})
if not opts then return end		-- --help
if not policy.has_criteria(opts) then
	policy.fail("selective", "no criteria given (--path, --type, ...); " ..
		"use migrate-all to migrate everything")
end

local run <close> = policy.runner(fs, opts)
run:select()		-- a scan in the core, or walks for --path
return policy.exit(run:finish())
