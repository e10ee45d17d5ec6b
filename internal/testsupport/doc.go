// Package testsupport is where the project's test support lives: code that
// tests import and the product never does. Each is its own package below:
//
//   - storetest: the event store contract suite. Every store
//     (adapters/sqlite, adapters/esdb, adapters/memstore) and the group
//     committer (adapters/groupcommit) run it from their own tests.
//   - projtest: realistic ledger histories (the seed 004 agreement recorded
//     command by command, random histories) for the tests and benchmarks of
//     projections, the read model and the report renderers. It drives the
//     command service (app/command), so it lives here and not under
//     projections, which sit below the application.
//   - commandtest: hands envelopes to a command.Handler as an adapter
//     does (decode with app/wire, then Handle), in one call.
//   - randomledger: random but valid agreement histories for the
//     interoperability tests (hledger, IATI).
//   - legacytest: ledgers holding agreement numbers today's rules refuse,
//     as an older version wrote them.
//   - envtest: what a test does when its environment (a program, a tmpfs)
//     is missing: skip with the reason on a developer's machine, fail under
//     CI=true.
//   - tmpfstest: a small tmpfs of a test's own, for real ENOSPC and EROFS.
//
// Two more stay where they are, on purpose:
//
//   - adapters/esdb/internal/esdbtest: the in-process EventStoreDB test
//     server, internal to the EventStoreDB adapter (and its esdbtestd
//     program, which CI starts for the real-server tests).
//   - adapters/reliability: the reliability suite itself (crash, disk-full,
//     concurrency, retry, tamper tests; docs/RELIABILITY.md). Its tests are
//     the product; its two files only build the commands they send.
//
// adapters/seeds is not test support: the demo loads the seed agreements
// from it as well as the tests.
package testsupport
