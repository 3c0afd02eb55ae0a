/* AG Grid cell renderers of the site pages (registered by name for dash-ag-grid).
   SiteLink: the site's name as a link to its detail page /sites/<id>; the cell value stays the
   plain name, so sorting, the quick search and exports see the name, not markup. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.SiteLink = function (props) {
  var id = props.data && (props.data.site_id !== undefined ? props.data.site_id : props.data.id);
  if (id === undefined || id === null) {
    return props.value;
  }
  return React.createElement("a", { href: "/sites/" + id, className: "site-link" }, props.value);
};
