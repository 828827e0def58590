import Foundation

/// Decides, run by run, whether an executor's steps use its thread pool or run on the
/// caller's thread alone, so that a board whose other cores are busy (a camera app, another
/// model) does not make more threads slower than one.
///
/// A step handed to the pool ends when its last part does; when another process holds a
/// core, the worker there is preempted in the middle of a part and the step waits a whole
/// scheduler time slice for it, step after step (measured on the challenge baseline with
/// one of two cores kept busy: 2 threads 10% slower than 1).
///
/// The sign: on a quiet machine the pool's threads are on a CPU for most of a run — working,
/// or spinning while they wait for the next step — so the process's CPU time is about
/// threads × the run's wall time; a worker that shares its core with another process gets
/// about half of it. But a small model whose steps are mostly too small to split (the
/// workers then sleep between steps) shows the same sign on a quiet machine. So the sign
/// only prompts a try: after a pooled run whose CPU time is below `onCPUShare` of threads ×
/// wall (from the second pooled run on: the first carries the warm-up), the next run goes
/// on the caller's thread alone, and the faster of the two decides: the try must beat the
/// best of the current mode's last `recent` runs by `margin` (the best, because other
/// processes only ever add time to a run). Whichever mode wins, the other is tried again
/// after a wait that starts at `firstWait` runs and doubles (up to `longestWait`) while it
/// keeps losing. Outputs do not depend on the choice: every step gives the same
/// values on one thread as on several.
final class PoolGovernor {
    /// Whether the governor acts at all (`LOUPE_POOL_GOVERNOR=off` keeps the pool for every run).
    let enabled: Bool
    /// Threads that can be on a CPU at once: the pool's, at most the CPUs the process may use.
    let lanes: Double
    static let onCPUShare = 0.85
    static let margin = 0.97
    static let firstWait = 8
    static let longestWait = 64
    static let recent = 4

    private var alone = false
    /// The coming run tries the other mode.
    private var trying = false
    /// Runs before the other mode may be tried again.
    private var wait = 0
    private var nextWait = PoolGovernor.firstWait
    /// The last `recent` wall times of each mode (nanoseconds), oldest first.
    private var pooledWalls: [Double] = [], aloneWalls: [Double] = []
    private var startCPU: UInt64 = 0
    private var startWall: UInt64 = 0
    /// Runs made on the caller's thread alone (tries included).
    private(set) var runsWithoutPool = 0

    init(threads: Int, enabled: Bool = ProcessInfo.processInfo.environment["LOUPE_POOL_GOVERNOR"] != "off") {
        self.enabled = enabled && threads > 1
        lanes = Double(min(threads, max(1, ProcessInfo.processInfo.activeProcessorCount)))
    }

    /// Whether the coming run uses the pool; `finish` must follow it.
    func begin() -> Bool {
        guard enabled else { return true }
        let pooled = alone == trying
        if !pooled { runsWithoutPool += 1 }
        startCPU = Self.now(CLOCK_PROCESS_CPUTIME_ID)
        startWall = Self.now(CLOCK_MONOTONIC)
        return pooled
    }

    /// After the run `begin` started.
    func finish(usedPool: Bool) {
        guard enabled else { return }
        record(pooled: usedPool, cpu: Double(Self.now(CLOCK_PROCESS_CPUTIME_ID) - startCPU),
               wall: Double(Self.now(CLOCK_MONOTONIC) - startWall))
    }

    /// The decision after a run (`pooled` or not) that took `cpu` of the process's CPU time
    /// in `wall`.
    func record(pooled: Bool, cpu: Double, wall: Double) {
        if trying {
            trying = false
            let current = (alone ? aloneWalls : pooledWalls).min() ?? .infinity
            if wall < Self.margin * current {
                alone.toggle()
                nextWait = Self.firstWait
                wait = alone ? Self.firstWait : 0
            } else {
                wait = nextWait
                nextWait = min(nextWait * 2, Self.longestWait)
            }
            remember(wall, pooled: pooled)
            return
        }
        remember(wall, pooled: pooled)
        if wait > 0 {
            wait -= 1
        } else if alone || (pooledWalls.count > 1 && wall > 0 && cpu < Self.onCPUShare * lanes * wall) {
            trying = true
        }
    }

    private func remember(_ wall: Double, pooled: Bool) {
        if pooled {
            pooledWalls.append(wall)
            if pooledWalls.count > Self.recent { pooledWalls.removeFirst() }
        } else {
            aloneWalls.append(wall)
            if aloneWalls.count > Self.recent { aloneWalls.removeFirst() }
        }
    }

    static func now(_ clock: clockid_t) -> UInt64 {
        var t = timespec()
        clock_gettime(clock, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
}
