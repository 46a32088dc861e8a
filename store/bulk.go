package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"
)

// bulkRows is how many rows one multi-row INSERT carries at most: enough
// to spread the cost of a statement over many rows, few enough to keep its
// variables (rows × columns) far under SQLite's limit.
const bulkRows = 256

// batchRows runs head + " VALUES " + row, row, … + tail over the rows in
// args (each ncols values, flat), in statements of up to bulkRows rows, and
// returns how many rows they changed. A batch is split into powers of two,
// so that only a few statement texts exist and the connection keeps each
// one prepared.
func batchRows(ctx context.Context, tx *sql.Tx, head, row string, ncols int, args []any, tail string) (int64, error) {
	var changed int64
	n := len(args) / ncols
	for off := 0; off < n; {
		k := bulkRows
		for k > n-off {
			k /= 2
		}
		q := head + " VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", k), ", ") + tail
		res, err := tx.ExecContext(ctx, q, args[off*ncols:(off+k)*ncols]...)
		if err != nil {
			return changed, err
		}
		c, err := res.RowsAffected()
		if err != nil {
			return changed, err
		}
		changed += c
		off += k
	}
	return changed, nil
}

// maxID returns the largest id in table (0 when empty): inside a write
// transaction the next rows' ids can be given from it, as SQLite would
// give them, without asking for each row's.
func maxID(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM `+table).Scan(&id)
	return id, err
}

// bulkTx runs fn in one transaction on a connection that does not check
// foreign keys row by row: the bulk paths insert rows whose parents they
// have just inserted, or have checked once for a whole chunk, and a row's
// check is a seek into each parent table. Foreign keys are checked again
// on the connection afterwards; one that cannot be set back is dropped,
// and the next is opened with them on.
func (db *DB) bulkTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, rerr := conn.ExecContext(rctx, `PRAGMA foreign_keys = ON`); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("check foreign keys again: %w", rerr))
		}
	}()
	return inTx(ctx, conn, fn)
}
