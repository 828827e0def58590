import XCTest

final class LoupeProfileTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
