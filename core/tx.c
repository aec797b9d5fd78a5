/* tx.c -- placeholder until the migration core lands (being written). */
#include "e2c.h"

errcode_t e2c_plan_inode(e2c_fs *fs, ext2_ino_t ino, struct e2c_plan *plan)
{ (void)fs; (void)ino; (void)plan; return EXT2_ET_OP_NOT_SUPPORTED; }
errcode_t e2c_tx_begin(e2c_fs *fs, e2c_tx **ret)
{ (void)fs; (void)ret; return EXT2_ET_OP_NOT_SUPPORTED; }
errcode_t e2c_tx_migrate(e2c_tx *tx, ext2_ino_t ino, struct e2c_plan *plan)
{ (void)tx; (void)ino; (void)plan; return EXT2_ET_OP_NOT_SUPPORTED; }
size_t e2c_tx_count(e2c_tx *tx) { (void)tx; return 0; }
errcode_t e2c_tx_entry(e2c_tx *tx, size_t i, struct e2c_plan *plan)
{ (void)tx; (void)i; (void)plan; return EXT2_ET_OP_NOT_SUPPORTED; }
void e2c_tx_totals(e2c_tx *tx, struct e2c_tx_totals *t) { (void)tx; (void)t; }
errcode_t e2c_tx_commit(e2c_tx *tx) { (void)tx; return EXT2_ET_OP_NOT_SUPPORTED; }
void e2c_tx_rollback(e2c_tx *tx) { (void)tx; }
void e2c_tx_free(e2c_tx *tx) { (void)tx; }
