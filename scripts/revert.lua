-- revert.lua -- turn extent-mapped inodes back into block maps (the reverse
-- of selective.lua), chosen by the same criteria: paths (prefixes or globs,
-- or a list in a file), file type, owner, mtime, fragmentation; none given:
-- every extent-mapped inode.  --clear-feature then turns the extent
-- feature off, in a commit of its own that refuses while any inode of the
-- filesystem is still extent-mapped.
--
--   e2lua -w IMAGE scripts/revert.lua --path /boot [--dry-run] [--verbose]
--   e2lua -w IMAGE scripts/revert.lua --clear-feature
--   e2lua: run revert --path /boot --dry-run
--
-- Unwritten extents become holes (they read as zeros either way); a file
-- a block map cannot hold (a block at 2^32 or above, past 12 + k + k^2 +
-- k^3 blocks) is skipped with its reason.

local policy = require "e2.policy"

local opts = policy.options(arg, {
	name = "revert",
	about = "Turn extent-mapped inodes back into block maps (direct, IND, DIND, TIND).",
	groups = { "select", "revert" },
})
if not opts then return end		-- --help
opts.unmigrate = true

local run <close> = policy.runner(fs, opts)
run:select()		-- a scan in the core, or walks for --path
return policy.exit(run:finish())
