import XCTest

final class LoupeKernelsTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
