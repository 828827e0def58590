import XCTest

final class LoupeIQATestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
