//! Charter's black-box test suite lives in `api/`: one integration test binary that starts the real server
//! (through `charter-testkit`) and talks to it only over HTTP, on SQLite and on PostgreSQL.
