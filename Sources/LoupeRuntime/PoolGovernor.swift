import Foundation

/// Decides, run by run, whether an executor's steps use its thread pool or run on the
/// caller's thread alone, so that a board whose other cores are busy (a camera app, another
/// model) does not make more threads slower than one.
///
/// A step handed to the pool ends when its last part does; when another process holds a
/// core, the worker there is preempted in the middle of a part and the step waits a whole
/// scheduler time slice for it, step after step (measured on the challenge baseline with
/// one of two cores kept busy: 2 threads 10% slower than 1). On a quiet machine the pool's
/// threads are on a CPU for the whole run — working, or spinning while they wait for the
/// next step — so the process's CPU time is about threads × the run's wall time; a worker
/// that shares its core with another process gets about half of it. After a pooled run
/// whose CPU time is below `onCPUShare` of that, the next runs go without the pool; every
/// so many runs one goes with it again to see whether the core is free, the wait doubling
/// (up to `longestWait`) while it is not. Outputs do not depend on the choice: every step
/// gives the same values on one thread as on several.
final class PoolGovernor {
    /// Whether the governor acts at all (`LOUPE_POOL_GOVERNOR=off` keeps the pool for every run).
    let enabled: Bool
    /// Threads that can be on a CPU at once: the pool's, at most the CPUs the process may use.
    let lanes: Double
    static let onCPUShare = 0.85
    static let firstWait = 8
    static let longestWait = 64

    private var wait = 0
    private var nextWait = PoolGovernor.firstWait
    private var startCPU: UInt64 = 0
    private var startWall: UInt64 = 0
    /// Runs made on the caller's thread because the pool's workers were being preempted.
    private(set) var runsWithoutPool = 0

    init(threads: Int, enabled: Bool = ProcessInfo.processInfo.environment["LOUPE_POOL_GOVERNOR"] != "off") {
        self.enabled = enabled && threads > 1
        lanes = Double(min(threads, max(1, ProcessInfo.processInfo.activeProcessorCount)))
    }

    /// Whether the coming run uses the pool; `finish` must follow it.
    func begin() -> Bool {
        guard enabled else { return true }
        if wait > 0 {
            wait -= 1
            runsWithoutPool += 1
            return false
        }
        startCPU = Self.now(CLOCK_PROCESS_CPUTIME_ID)
        startWall = Self.now(CLOCK_MONOTONIC)
        return true
    }

    /// After a run that `begin` sent to the pool: were its threads kept off the CPU?
    func finish(usedPool: Bool) {
        guard enabled, usedPool else { return }
        record(cpu: Double(Self.now(CLOCK_PROCESS_CPUTIME_ID) - startCPU), wall: Double(Self.now(CLOCK_MONOTONIC) - startWall))
    }

    /// The decision after a pooled run that took `cpu` of the process's CPU time in `wall`.
    func record(cpu: Double, wall: Double) {
        if wall > 0 && cpu < Self.onCPUShare * lanes * wall {
            wait = nextWait
            nextWait = min(nextWait * 2, Self.longestWait)
        } else {
            nextWait = Self.firstWait
        }
    }

    static func now(_ clock: clockid_t) -> UInt64 {
        var t = timespec()
        clock_gettime(clock, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}
