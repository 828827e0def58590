import XCTest

final class LoupeRuntimeTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
