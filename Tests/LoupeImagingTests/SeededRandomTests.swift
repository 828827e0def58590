import LoupeIR
import XCTest
import LoupeImaging
import LoupeTestSupport

/// The tests' SeededRandom draws what the presets' SplitMix64 draws, and its float rules
/// give the values seeded expectations across the test targets were written against.
final class SeededRandomTests: XCTestCase {
    func testDrawsMatchThePresetsSplitMix64() {
        for seed: UInt64 in [0, 1, 42, 0x5EED_2026, .max] {
            var shared = SeededRandom(seed: seed), presets = SplitMix64(seed: seed)
            for i in 0..<1000 where shared.next() != presets.next() {
                return XCTFail("draw \(i) differs (seed \(seed))")
            }
        }
    }

    /// Seed 0 draws 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4 (testSplitMix64KnownValues);
    /// the expected floats are numpy's float32 arithmetic on them.
    func testFloatRulesKeepTheirBits() {
        var a = SeededRandom(seed: 0)
        XCTAssertEqual(a.uniform(-1, 1).bitPattern, 0x3F44_4150, "24-bit rule (seed 0)")
        XCTAssertEqual(a.float53().bitPattern, 0xBE0C_3B0D, "53-bit rule (seed 0)")
    }

    func testMakersDrawInOrder() {
        var a = SeededRandom(seed: 5), b = SeededRandom(seed: 5)
        XCTAssertEqual(a.tensor([2, 3], -2, 2).floats, (0..<6).map { _ in b.uniform(-2, 2) }, "seed 5")
        XCTAssertEqual(a.floats(4, 0, 1), (0..<4).map { _ in b.uniform(0, 1) }, "seed 5")
        XCTAssertEqual(a.tensor53([3]).floats, (0..<3).map { _ in b.float53() }, "seed 5")
        XCTAssertEqual(a.randomFloat(in: 0..<3), Float.random(in: 0..<3, using: &b), "seed 5")
        XCTAssertEqual(a.description, "SeededRandom(seed: 5)")
    }
}
