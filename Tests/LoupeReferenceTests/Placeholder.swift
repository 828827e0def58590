import XCTest

final class LoupeReferenceTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
