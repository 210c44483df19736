"""
The peer of issue 14's machinery figure: Celery 5 + Redis (Debian's
python3-celery, python3-redis) on this machine, no-op tasks with acks_late
and a prefork pool of 2 processes. Prints one JSON line: tasks/s from the
first publish to the last result (a task's result is stored after its ack
under acks_late... it is stored when it finishes; the ack follows at once).

usage: /usr/bin/python3 bench/peer/celeryNoop.py <tasks> <redis-db>
(Debian's interpreter: the one python3-celery installs into.)
"""
import json
import os
import subprocess
import sys
import time

from celery import Celery

# Read only when run as the script (the worker imports this module with its own argv).
ARGS = sys.argv[1:] if __name__ == "__main__" else []
TASKS = int(ARGS[0]) if len(ARGS) > 0 else 2000
os.environ.setdefault("NOOP_REDIS_DB", ARGS[1] if len(ARGS) > 1 else "14")
DB = int(os.environ["NOOP_REDIS_DB"])
URL = f"redis://127.0.0.1:6379/{DB}"

app = Celery("noop", broker=URL, backend=URL)
# The worker imports this module too: it reads the queue name its parent chose.
os.environ.setdefault("NOOP_QUEUE", f"alexandria-bench-noop-{os.getpid()}")
QUEUE = os.environ["NOOP_QUEUE"]
app.conf.update(task_default_queue=QUEUE, task_acks_late=True, worker_prefetch_multiplier=4, result_expires=600, broker_connection_retry_on_startup=True)


@app.task(name="noop")
def noop(i):
    return i


def main():
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celeryNoop", "worker", "--pool=prefork", "--concurrency=2", "--loglevel=WARNING", "-Q", QUEUE, "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=__file__.rsplit("/", 1)[0], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        # Warm-up: the pool is up when a task comes back.
        noop.delay(-1).get(timeout=60)
        t0 = time.perf_counter()
        results = [noop.delay(i) for i in range(TASKS)]
        published = time.perf_counter()
        for r in results:
            r.get(timeout=300)
        t1 = time.perf_counter()
        print(json.dumps({"tasks": TASKS, "seconds": round(t1 - t0, 3), "tasksPerSecond": round(TASKS / (t1 - t0), 1), "publishSeconds": round(published - t0, 3)}))
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
