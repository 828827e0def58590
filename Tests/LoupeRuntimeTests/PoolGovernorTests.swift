import XCTest
@testable import LoupeRuntime

/// `PoolGovernor`: a pooled run whose threads were off the CPU prompts a run on the caller's
/// thread alone; the faster mode stays, the other is tried again at doubling intervals.
final class PoolGovernorTests: XCTestCase {
    /// Feeds runs to `g`, each taking `pooledWall` or `aloneWall` (and, pooled, `cpuShare` of
    /// the lanes' time), and returns the modes chosen (true: pooled).
    func drive(_ g: PoolGovernor, runs: Int, pooledWall: Double, aloneWall: Double, cpuShare: Double) -> [Bool] {
        (0..<runs).map { _ in
            let pooled = g.begin()
            let wall = pooled ? pooledWall : aloneWall
            g.record(pooled: pooled, cpu: pooled ? cpuShare * g.lanes * wall : wall, wall: wall)
            return pooled
        }
    }

    /// Where the runs went alone.
    func aloneRuns(_ modes: [Bool]) -> [Int] { modes.enumerated().filter { !$0.element }.map(\.offset) }

    func testQuietPooledRunsNeverLeaveThePool() {
        let g = PoolGovernor(threads: 2, enabled: true)
        XCTAssertEqual(aloneRuns(drive(g, runs: 200, pooledWall: 1, aloneWall: 1.8, cpuShare: 0.99)), [])
        XCTAssertEqual(g.runsWithoutPool, 0)
    }

    /// A core kept busy: pooled runs are off the CPU and slower than runs alone. The first
    /// such run prompts a try alone, which wins; the pool is tried again after 9 runs alone,
    /// then 9, 17, 33, 65 while it keeps losing; when the core is free again its try wins
    /// back.
    func testBusyCoreLeavesThePoolAndFreeCoreReturns() {
        let g = PoolGovernor(threads: 2, enabled: true)
        let busy = drive(g, runs: 200, pooledWall: 1.12, aloneWall: 1.0, cpuShare: 0.55)
        let pooled = busy.enumerated().filter(\.element).map(\.offset)
        // Run 0 pooled (the sign), run 1 the try alone (wins), 9 alone, then pooled tries.
        XCTAssertEqual(pooled, [0, 11, 21, 39, 73, 139], "\(pooled)")
        // The core frees: the next try of the pool (within 64 runs) wins, and the pool stays.
        let free = drive(g, runs: 150, pooledWall: 0.6, aloneWall: 1.0, cpuShare: 0.99)
        let back = try? XCTUnwrap(free.firstIndex(of: true))
        XCTAssertNotNil(back)
        XCTAssertLessThanOrEqual(back ?? 99, 64)
        XCTAssertTrue(free[(back ?? 0)...].allSatisfy { $0 }, "stays pooled once back")
    }

    /// A small model whose pooled runs show the sign on a quiet machine (workers asleep between
    /// steps too small to split) but are still faster than runs alone: the pool stays, and
    /// the tries alone thin out (after 9, 17, 33, then 65 pooled runs).
    func testSignWithoutGainKeepsThePool() {
        let g = PoolGovernor(threads: 2, enabled: true)
        let modes = drive(g, runs: 300, pooledWall: 1.0, aloneWall: 1.6, cpuShare: 0.6)
        XCTAssertEqual(aloneRuns(modes), [1, 11, 29, 63, 129, 195, 261], "\(aloneRuns(modes))")
    }

    /// The measurement itself: a pooled run that sleeps is off the CPU, so the next run tries
    /// the caller's thread alone.
    func testASleepingRunIsSeenOffTheCPU() {
        let g = PoolGovernor(threads: 2, enabled: true)
        XCTAssertTrue(g.begin())
        usleep(20_000)
        g.finish(usedPool: true)
        XCTAssertFalse(g.begin())
    }

    func testOneThreadOrSwitchedOffAlwaysUsesThePool() {
        for g in [PoolGovernor(threads: 1), PoolGovernor(threads: 4, enabled: false)] {
            XCTAssertTrue(g.begin())
            g.finish(usedPool: true)
            usleep(1000)
            XCTAssertTrue(g.begin())
            XCTAssertEqual(g.runsWithoutPool, 0)
        }
    }
}
