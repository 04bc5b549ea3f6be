# What the Python IDL peers share: waiting on an IDL until a predicate holds, and committing a transaction or
# stopping with its error. Imported by the peer scripts (their own directory is on sys.path when run).
import ovs.db.idl
import ovs.poller


def wait_for(idl, predicate):
    while not predicate():
        idl.run()
        if predicate():
            break
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.block()


def commit(txn):
    status = txn.commit_block()
    if status != ovs.db.idl.Transaction.SUCCESS:
        raise SystemExit("transaction failed: %s %s" % (status, txn.get_error()))
