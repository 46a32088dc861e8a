package store

import (
	"context"
	"database/sql/driver"
	"errors"
)

// maxCachedStmts bounds the statements one connection keeps prepared. The
// store's queries are a fixed set of texts (a few hundred at most, with the
// IN lists of a handful of lengths); beyond the bound a query is prepared
// for one use, as without the cache.
const maxCachedStmts = 512

// cachingConnector opens connections that keep every statement they run
// prepared, by its text, for the life of the connection: SQLite then
// parses and plans each query once instead of at every call. The store's
// call sites are unchanged (database/sql calls ExecContext and
// QueryContext on the connection). modernc's statement handles a script of
// several statements itself, re-parsing it at each use.
type cachingConnector struct {
	driver.Connector
}

// Connect implements driver.Connector.
func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := dc.(innerConn)
	if !ok {
		return dc, nil // not the driver this was written against: no cache
	}
	return &cachingConn{innerConn: inner, stmts: map[string]*cachedStmt{}}, nil
}

// innerConn is what cachingConn needs of the driver's connection, all of
// which modernc's implements.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type stmtContext interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// cachedStmt is a prepared statement and whether rows read from it are
// still open (a statement runs one query at a time).
type cachedStmt struct {
	st   stmtContext
	busy bool
}

// cachingConn is a connection with a statement cache. database/sql uses a
// connection from one goroutine at a time, so the cache needs no lock.
type cachingConn struct {
	innerConn
	stmts map[string]*cachedStmt
}

// stmt returns the cached statement for query, preparing and caching it
// the first time; nil when it is busy, the cache is full or the driver's
// statement lacks the context methods, and the caller runs the query on
// the connection as without a cache.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	ds, err := c.innerConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(stmtContext)
	if !ok {
		return nil, errors.Join(ds.Close(), errNoStmtContext)
	}
	cs := &cachedStmt{st: st}
	c.stmts[query] = cs
	return cs, nil
}

var errNoStmtContext = errors.New("store: the driver's statements lack ExecContext/QueryContext")

// ExecContext implements driver.ExecerContext.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil || cs == nil {
		return c.innerConn.ExecContext(ctx, query, args)
	}
	return cs.st.ExecContext(ctx, args)
}

// QueryContext implements driver.QueryerContext.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil || cs == nil {
		return c.innerConn.QueryContext(ctx, query, args)
	}
	r, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	fr, ok := r.(fullRows)
	if !ok {
		return &cachedRows{Rows: r, cs: cs}, nil
	}
	return &cachedFullRows{fullRows: fr, cs: cs}, nil
}

// Close finalizes the cached statements and closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.st.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.innerConn.Close())
	return errors.Join(errs...)
}

// cachedRows frees its statement for the next query when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

// Close implements driver.Rows.
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.cs.busy = false
	return err
}

// fullRows is modernc's rows with the column type methods, which a wrapper
// must keep offering.
type fullRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

type cachedFullRows struct {
	fullRows
	cs *cachedStmt
}

// Close implements driver.Rows.
func (r *cachedFullRows) Close() error {
	err := r.fullRows.Close()
	r.cs.busy = false
	return err
}

var (
	_ driver.Connector                      = cachingConnector{}
	_ driver.ExecerContext                  = (*cachingConn)(nil)
	_ driver.QueryerContext                 = (*cachingConn)(nil)
	_ driver.RowsColumnTypeScanType         = (*cachedFullRows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*cachedFullRows)(nil)
)
